import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go through the payload codec too: the SDK moves them into the
 * failure's `encodedAttributes` payload (which the codec encrypts) and leaves "Encoded failure" in the
 * clear. Loaded by path (`failureConverterPath`) by the client, the worker and, bundled, inside the
 * workflow sandbox, so this module imports nothing but @temporalio/common.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

/**
 * Found in a workflow bundle built with this converter: a prebuilt bundle without it would write
 * workflow failures in the clear, so the worker refuses such a bundle (see codecDataConverter.ts).
 */
export const FAILURE_CONVERTER_MARK = 'causeway-codec-failure-converter-v1';
Object.defineProperty(failureConverter, 'mark', { value: FAILURE_CONVERTER_MARK });
