/** MLLP transport for HL7 v2: framing, a listener for the HIS's messages, a sender for ours. */
export { START_BLOCK, END_BLOCK, CARRIAGE_RETURN, DEFAULT_MAX_FRAME_BYTES, frame, MllpDecoder } from './framing';
export { MllpServer, type MllpPeer, type MllpServerOptions, type MllpServerTls } from './server';
export { MllpClient, type MllpClientOptions, type MllpClientTls } from './client';
