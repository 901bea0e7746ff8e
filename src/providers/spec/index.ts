export type * from "./chat-model.ts";
export type * from "./embedding-model.ts";
export type * from "./image-model.ts";
export type * from "./json-schema.ts";
export type * from "./openai-passthrough.ts";
export type * from "./provider.ts";
export type * from "./running-model.ts";
export type * from "./vision-model.ts";
