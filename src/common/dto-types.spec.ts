import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validate } from 'class-validator';
import '../admin/dto/admin.dto';
import '../audit/dto/audit-query.dto';
import '../auth/dto/auth-requests.dto';
import '../billing/dto/billing.dto';
import '../billing/dto/polar-webhook.dto';
import '../connect/dto/connect.dto';
import '../connect/dto/custom-domain.dto';
import { VALIDATION_OPTIONS } from './validation.pipe';

type Metadata = { target: unknown; propertyName: string; name?: string; type: string };

it('a number where a DTO wants a string is told so, whatever else the field is checked for', async () => {
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<unknown, Metadata[]> };
  const wrong: string[] = [];
  let checked = 0;
  for (const [target, metadatas] of storage.validationMetadatas) {
    if (typeof target !== 'function') continue;
    for (const property of new Set(metadatas.filter((m) => m.name === 'isString').map((m) => m.propertyName))) {
      checked++;
      const errors = await validate(plainToInstance(target as new () => object, { [property]: 12345 }), { ...VALIDATION_OPTIONS, forbidUnknownValues: false });
      const constraints = Object.keys(errors.find((e) => e.property === property)?.constraints ?? {});
      if (constraints[0] !== 'isString') wrong.push(`${(target as { name: string }).name}.${property}: ${constraints.join(', ') || 'accepted'}`);
    }
  }
  expect(checked).toBeGreaterThan(10);
  expect(wrong).toEqual([]);
});
