import { readFileSync } from 'node:fs';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { FAILURE_CONVERTER_MARK } from './codecFailureConverter';

/**
 * The one data converter for every Temporal client and worker of Causeway: payloads through the codec,
 * failure messages and stack traces too (codecFailureConverter.ts).
 */
export const FAILURE_CONVERTER_PATH = require.resolve('./codecFailureConverter');

export function codecDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/** Options for `bundleWorkflowCode` so a prebuilt bundle encodes workflow failures like the worker does. */
export const bundleConverterOptions = { failureConverterPath: FAILURE_CONVERTER_PATH };

/** A prebuilt workflow bundle must carry the failure converter, or workflow failures would be stored in the clear. */
export function assertBundleEncodesFailures(bundlePath: string): void {
  if (!readFileSync(bundlePath, 'utf8').includes(FAILURE_CONVERTER_MARK)) {
    throw new Error(
      `workflow bundle ${bundlePath} was built without the codec failure converter: build it with bundleWorkflowCode({ ...bundleConverterOptions })`,
    );
  }
}
