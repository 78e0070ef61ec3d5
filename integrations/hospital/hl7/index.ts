/** HL7 v2 codec for the hospital adapter: parse to events, build messages, ACKs. */
export * from './escape';
export { Hl7ErrorCode, HL7_ERROR_TEXT, ErrorLocation, MalformedDetails, malformedDetailsOf } from './errors';
export { Coded, Identifier, Location, Practitioner, parseTimestamp, formatTimestamp, parseHl7Amount } from './datatypes';
export * from './events';
export { peekHeader, PeekedHeader, type ParseOptions } from './header';
export { parseHl7, parseAck } from './parse';
export { assertAccepted } from './parse-ack';
export type { SiuTrigger, AdtTrigger } from './parse-scheduling';
export { newControlId } from './control-id';
export type { HeaderInput } from './encode';
export type { PatientInput, VisitInput } from './build-patient';
export { buildSiu, buildAdt, type SiuInput, type AdtInput } from './build-scheduling';
export { buildOrderMessage, buildDft, type OrderMessageInput, type DftInput } from './build-orders';
export { buildOru, type OruInput } from './build-results';
export { buildAck, ackForError, acceptAck, type AckInput, type AckErrorInput } from './build-ack';
