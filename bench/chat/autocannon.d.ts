// autocannon ships no type declarations and @types/autocannon is not installed.
declare module "autocannon";
