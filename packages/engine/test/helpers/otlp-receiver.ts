/**
 * The OTLP/HTTP receiver the tracing tests export to: the same program docs/tracing.md starts as a local
 * collector (`node scripts/otlp-receiver.mjs`), so the walk-through and the tests share one decoder.
 */
export { OtlpReceiver, type OtlpRequest, type ReceivedSpan } from '../../../../scripts/otlp-receiver.mjs';
