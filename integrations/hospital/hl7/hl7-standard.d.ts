/**
 * hl7-standard ships no types. We declare only what message.ts uses and keep `transformed` as
 * `unknown`, so its shape is checked with zod at the boundary instead of trusted.
 */
declare module 'hl7-standard' {
  class HL7 {
    constructor(raw?: string, opts?: { subComponents?: string; repeatingFields?: string; lineEndings?: string });
    transform(cb?: (err: Error | null, data: unknown) => void, batch?: boolean): void;
    transformed: unknown;
  }
  export = HL7;
}
