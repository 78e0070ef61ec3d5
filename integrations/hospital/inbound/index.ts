/** Inbound HL7: store in inbox_messages, acknowledge, dispatch per booking in order; operator reprocessing. */
export { createInboundHl7Handler } from './handler';
export { reprocessInboxMessage } from './reprocess';
export { listFailedInbox, syntheticMessageId } from './store';
export { parseInbound } from './apply';
export {
  DispatchMeta,
  InboxFailure,
  ReprocessResult,
  type InboundDispatch,
  type InboundHl7Event,
  type InboundHl7Handler,
  type InboundHl7Options,
  type InboundMeta,
  type SenderCheck,
  type InboxSecrets,
} from './types';
