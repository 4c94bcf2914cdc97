import type { DataField } from '@orra/protocol';
import type { ServiceRecord } from '../storage/store.js';
import type { UseCaseMatch } from './use-case-matcher.js';

/** What the previous attempt answered and why it was rejected: fed back so the model can fix it. */
export interface PromptFeedback {
  attempt: number;
  reply: string;
  problems: string[];
}

export interface PromptInput {
  action: string;
  data: DataField[] | null;
  services: readonly ServiceRecord[];
  match: UseCaseMatch | undefined;
  feedback: PromptFeedback | undefined;
}

/** Replies longer than this are cut in the feedback block: the problems matter, not the whole reply. */
const FEEDBACK_REPLY_CHARS = 4_000;

/**
 * The one user message of a planning call (orra sends no system message, so models that ignore system
 * prompts behave the same). Our own wording; the sections follow orra-compat §9.2: role, services,
 * action, data, optional domain context and previous-attempt feedback, rules, output format.
 */
export function buildPlanPrompt(input: PromptInput): string {
  const sections = [
    [
      'You plan how to carry out a user action with a set of services.',
      'Answer with an execution plan: which services to call, in what order, and with which inputs.',
      'Use the action and its data exactly as given, and let independent tasks run in parallel.',
    ].join(' '),
    `## Services\n\n${[...input.services].sort((a, b) => (a.id < b.id ? -1 : 1)).map(describeService).join('\n\n')}`,
    `## Action\n\n${input.action}`,
    `## Action data\n\n${JSON.stringify(input.data ?? [])}`,
  ];
  if (input.match) sections.push(domainContext(input.match));
  if (input.feedback) sections.push(feedbackBlock(input.feedback));
  sections.push(RULES, OUTPUT_FORMAT);
  return sections.join('\n\n');
}

function describeService(s: ServiceRecord): string {
  return [
    `Service ID: ${s.id}`,
    `Name: ${s.name}`,
    `Description: ${s.description}`,
    `Input schema: ${JSON.stringify(s.schema.input)}`,
    `Output schema: ${JSON.stringify(s.schema.output)}`,
  ].join('\n');
}

function domainContext(m: UseCaseMatch): string {
  const example = m.useCase.action.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const value = m.params[name] ?? m.useCase.params?.[name];
    return value === undefined ? whole : String(value);
  });
  const lines = [
    `## Domain context (grounding spec ${m.spec.name}, domain ${m.spec.domain}, version ${m.spec.version})`,
    '',
    `The action is an instance of this use case: ${m.useCase.action}`,
    `Example: ${example}`,
    `Intent: ${m.useCase.intent}`,
    'The plan must provide these capabilities:',
    ...m.useCase.capabilities.map((c, i) => `${i + 1}. ${c}`),
  ];
  if (m.spec.constraints && m.spec.constraints.length > 0) {
    lines.push('', 'Constraints the plan must respect:', ...m.spec.constraints.map((c) => `- ${c}`));
  }
  return lines.join('\n');
}

function feedbackBlock(f: PromptFeedback): string {
  const reply = f.reply.length > FEEDBACK_REPLY_CHARS ? `${f.reply.slice(0, FEEDBACK_REPLY_CHARS)}…` : f.reply;
  return [
    `## Your previous answer (attempt ${f.attempt}) was rejected`,
    '',
    'It had these problems:',
    ...f.problems.map((p) => `- ${p}`),
    '',
    'Your previous answer was:',
    reply,
    '',
    'Fix every problem listed above in your new answer.',
  ].join('\n');
}

const RULES = `## Rules

1. Use only the services listed above, with their Service ID exactly as written.
2. Task ids are "task0", "task1", "task2", … in increasing order, each used once.
3. "task0" is the only task without a service. Its input holds every constant the plan needs: each
   field of the action data under its own name with its value, and any value taken from the action text.
4. Every other task names one service, and its input has exactly the properties of that service's
   input schema: all required ones (all of them when the schema lists none as required), no others.
5. Each input value of a service task is a reference: "$task0.<field>" for a constant, or
   "$taskN.<field>" for a field that an earlier task N declares in its output schema. A reference is the
   whole value: never put one inside a longer string, and never write "$taskN.output.<field>".
6. Every field of the action data must be used by some task as "$task0.<field>".
7. Only reference earlier tasks. Tasks that do not depend on each other go in the same parallel group.
8. If the services cannot carry out the action, answer with task0 and one task with id "final" and
   input {"error": "<why the action cannot be done>"} instead of a plan.
9. Write no comments and nothing else inside the JSON.`;

const OUTPUT_FORMAT = `## Output format

Answer with one JSON object between a \`\`\`json start marker and a \`\`\` end marker, shaped like this:

\`\`\`json
{
  "tasks": [
    {"id": "task0", "input": {"orderId": "ORD1"}},
    {"id": "task1", "service": "s_exampleservice", "input": {"orderId": "$task0.orderId"}},
    {"id": "task2", "service": "s_otherservice", "input": {"amount": "$task1.amount"}}
  ],
  "parallel_groups": [["task1"], ["task2"]]
}
\`\`\``;
