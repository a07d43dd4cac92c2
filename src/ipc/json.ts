// Item payloads and checkpoints cross the IPC channel as JSON; this type keeps `any` out of the protocol.
export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}
