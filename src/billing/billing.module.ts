import { Global, Module } from '@nestjs/common';
import { CancellationOutboxService } from './cancellation-outbox.service';

@Global()
@Module({
  providers: [CancellationOutboxService],
  exports: [CancellationOutboxService],
})
export class BillingModule {}
