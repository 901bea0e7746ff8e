// autocannon ships no types; the bench only reads a few numeric fields of its result.
declare module "autocannon";
