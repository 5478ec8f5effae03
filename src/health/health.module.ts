import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ApiIndexController } from './api-index.controller';
import { HealthController } from './health.controller';

@Module({
  imports: [DiscoveryModule, TerminusModule.forRoot({ errorLogStyle: 'json', logger: false })],
  controllers: [HealthController, ApiIndexController],
})
export class HealthModule {}
