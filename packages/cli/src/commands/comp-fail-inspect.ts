import type { FailedCompensationOut } from '@orra/protocol';
import { compactValue, prettyJson, relativeTime, titleCase } from '../format.js';
import type { Output } from '../output.js';

const indentJson = (value: unknown) =>
  prettyJson(value)
    .split('\n')
    .map((l) => `  ${l}`);

/**
 * `orra comp-fail inspect`: orra's sections (overview, resolution, failure, context, compensation
 * log, related information, management options) plus the audit trail of operator actions.
 */
export function renderFailedCompensation(out: Output, r: FailedCompensationOut): void {
  const cell = (status: string) => out.cell(out.status(status));
  out.section(`Failed Compensation [${r.resolutionState.toUpperCase()}]`, [
    `ID:            ${r.id}`,
    `Status:        ${cell(r.status)}`,
    `Resolution:    ${cell(r.resolutionState)}`,
    `Orchestration: ${r.orchestrationId}`,
    `Task:          ${r.taskId}`,
    `Service:       ${r.serviceName} (${r.serviceId})`,
    `Attempts:      ${attemptsText(r)}`,
    `Failed:        ${r.timestamp} (${relativeTime(r.timestamp)}${relativeTime(r.timestamp) === 'just now' ? '' : ' ago'})`,
  ]);

  if (r.resolutionState !== 'pending') {
    out.line();
    out.section('Resolution', [
      `State:  ${titleCase(r.resolutionState)}`,
      `Reason: ${r.resolution ?? '─'}`,
      ...(r.resolvedAt ? [`At:     ${r.resolvedAt}`] : []),
    ]);
  }

  out.line();
  out.section('Failure Information', failureLines(r.failure));

  const context = r.compensationData.context;
  out.line();
  out.section('Compensation Context', [
    `Reason:    ${context?.reason ?? '─'}`,
    `Timestamp: ${context?.timestamp ?? '─'}`,
    ...(context?.payload === undefined ? [] : ['Payload:', ...indentJson(context.payload)]),
    `TTL:       ${Math.round(r.compensationData.ttl / 1000)}s`,
  ]);

  out.line();
  out.section('Compensation Log', [
    'Data passed to the revert handler:',
    ...indentJson(r.compensationData.data),
  ]);

  const audit = r.audit ?? [];
  out.line();
  out.section(
    'Audit Trail',
    audit.length === 0
      ? ['No operator actions yet']
      : audit.map(
          (a) =>
            `${a.timestamp}  ${a.action.padEnd(15)} ${a.previousState} → ${a.newState}  key ${a.apiKeyId}` +
            (a.reason ? `  "${compactValue(a.reason)}"` : ''),
        ),
  );

  out.line();
  out.section('Related Information', [
    `Orchestration: orra inspect ${r.orchestrationId} -d`,
    `All failures of this orchestration: orra comp-fail ls --all -o ${r.orchestrationId}`,
  ]);

  if (r.resolutionState === 'pending') {
    out.line();
    out.section('Management Options', [
      `Fixed it by hand:     orra comp-fail resolve ${r.id} --reason "..."`,
      `Nothing to fix:       orra comp-fail ignore ${r.id} --reason "..."`,
      `Run it again:         orra comp-fail retry ${r.id}`,
    ]);
  }
}

/** orra splits the failure at its first `:` into what the engine says and what the service said. */
function failureLines(failure: string | undefined): string[] {
  if (!failure) return ['No failure message recorded'];
  const at = failure.indexOf(':');
  if (at < 0) return [`Service error: ${failure}`];
  return [`System info:   ${failure.slice(0, at).trim()}`, `Service error: ${failure.slice(at + 1).trim()}`];
}

/**
 * `10/10`, or with an operator's retries (each one attempt beyond the automatic ones, counted in
 * `attemptsMade`): `11 (10 automatic + 1 manual retry)`.
 */
function attemptsText(r: FailedCompensationOut): string {
  const retries = (r.audit ?? []).filter((a) => a.action.startsWith('retry_')).length;
  if (retries === 0) return `${r.attemptsMade}/${r.maxAttempts}`;
  const automatic = r.attemptsMade - retries;
  return `${r.attemptsMade} (${automatic} automatic + ${retries} manual ${retries === 1 ? 'retry' : 'retries'})`;
}
