/** @module Schemas shared by many routes: error bodies, headers, cursor pagination. */
import { Type, type TSchema } from 'typebox';

export const ErrorBody = Type.Object(
  {
    detail: Type.String(),
    code: Type.String({ description: 'Stable snake_case error code' }),
    existing_id: Type.Optional(Type.String({ description: 'With 409 resource_exists: the id of the resource that exists' })),
  },
  { $id: 'ErrorBody' },
);

/**
 * FastAPI's `ValidationError` and `HTTPValidationError` components, named and shaped as the product's
 * document has them (seed 000): `loc`, `msg`, `type` required, `input` and `ctx` optional, and `detail`
 * optional in the model (FastAPI declares it so, though every 422 carries it).
 */
export const ValidationErrorItem = Type.Object(
  {
    loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
    msg: Type.String(),
    type: Type.String(),
    input: Type.Optional(Type.Unknown()),
    ctx: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { $id: 'ValidationError' },
);

export const HTTPValidationError = Type.Object({ detail: Type.Optional(Type.Array(ValidationErrorItem)) }, { $id: 'HTTPValidationError' });

/** Like the product's slices, the header is declared optional and enforced by the auth hook. */
export const BusinessHeaders = Type.Object({
  'x-business-id': Type.Optional(Type.String({ description: 'Business UUID selecting the tenant' })),
});

/**
 * Business headers plus `Idempotency-Key` (docs/guarantees.md#g42). The key's limits are here for the
 * OpenAPI document; a key outside them is the 400 `invalid_idempotency_key` (src/http/idempotency.ts),
 * answered before this schema is checked.
 */
export const IdempotentBusinessHeaders = Type.Object({
  'x-business-id': Type.Optional(Type.String({ description: 'Business UUID selecting the tenant' })),
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'Replays the first answer for 24 hours when the same request is sent again with this key' }),
  ),
});

export const PaginationQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  cursor: Type.Optional(Type.Union([Type.String(), Type.Null()])),
};

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]), has_more: Type.Boolean() });
}

/** Error responses every authenticated operation can return, for the OpenAPI document. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const status of statuses) out[status] = status === 422 ? HTTPValidationError : ErrorBody;
  return out;
}

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}
