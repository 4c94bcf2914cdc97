/**
 * The NOTIFY channel of the engines sharing one schema: engines on other schemas of the same database
 * never hear each other. Every connection of the store carries it as the `orra.channel` setting, so SQL
 * that notifies on commit (the event log) needs no parameter for it.
 */
export function notifyChannelFor(schema: string): string {
  const name = `orra_${schema}`;
  return name.length <= 63 ? name : `orra_${schema.slice(0, 40)}_${simpleHash(schema)}`;
}

function simpleHash(s: string): string {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}
