import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECOMMERCE_GROUNDING } from './fixtures/ecommerce-grounding.js';
import { newProject, type Api } from './helpers/api.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';

describe('grounding specs API', () => {
  let engine: TestEngine;
  let api: Api;
  let projectId: string;

  beforeAll(async () => {
    engine = await startTestEngine();
    ({ api, projectId } = await newProject(engine.url));
  });
  afterAll(() => engine.dispose());

  const spec = (overrides: Record<string, unknown> = {}) => ({ ...ECOMMERCE_GROUNDING, ...overrides });

  it('answers null while the project has no specs', async () => {
    const res = await api.get('/groundings');
    expect(res.status).toBe(200);
    expect(res.body).toBeNull(); // orra: a nil Go slice encodes as null
  });

  it('applies a spec and echoes it with the project id (201)', async () => {
    const res = await api.post('/groundings', spec());
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ projectID: projectId, ...ECOMMERCE_GROUNDING });
  });

  it('refuses the same name and version again, as orra does', async () => {
    const res = await api.post('/groundings', spec());
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      kind: 'invalid operation',
      code: 'Orra:GroundingVersionExists',
      param: 'version',
      message: `project ${projectId} already has a grounding spec with name ecommerce-support and version 1.0`,
    });
  });

  it('replaces a spec applied again with another version', async () => {
    const res = await api.post('/groundings', spec({ version: '1.1', constraints: undefined }));
    expect(res.status).toBe(201);
    const list = await api.get('/groundings');
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ name: 'ecommerce-support', version: '1.1', constraints: null });
  });

  it('lists specs sorted by name and keeps projects apart', async () => {
    await api.post('/groundings', spec({ name: 'aaa-first', version: '1' }));
    const list = await api.get('/groundings');
    expect(list.body.map((s: { name: string }) => s.name)).toEqual(['aaa-first', 'ecommerce-support']);
    const other = await newProject(engine.url, 'other');
    expect((await other.api.get('/groundings')).body).toBeNull();
  });

  it.each([
    ['name', spec({ name: 'Bad_Name' }), "name: must consist of lowercase alphanumeric characters, '-' or '.'"],
    ['name', spec({ name: 'ab' }), 'name: must be between 3 and 63 characters'],
    ['domain', spec({ domain: '-e-commerce' }), 'domain: must consist of lowercase'],
    ['version', spec({ version: ' ' }), 'version: cannot be blank'],
    ['use-cases', spec({ useCases: [] }), 'use-cases: cannot be empty'],
    ['use-cases', spec({ useCases: [{ ...ECOMMERCE_GROUNDING.useCases[0], action: '' }] }), 'use-case[0]: action: cannot be blank'],
    ['use-cases', spec({ useCases: [{ ...ECOMMERCE_GROUNDING.useCases[0], params: {} }] }), 'use-case[0]: params: missing required param(s): orderId'],
    ['use-cases', spec({ useCases: [{ ...ECOMMERCE_GROUNDING.useCases[0], capabilities: [] }] }), 'use-case[0]: capabilities: at least one'],
    ['use-cases', spec({ useCases: [{ ...ECOMMERCE_GROUNDING.useCases[0], capabilities: ['x', ' '] }] }), 'capability at index 1 is empty'],
    ['use-cases', spec({ useCases: [{ ...ECOMMERCE_GROUNDING.useCases[0], intent: '' }] }), 'use-case[0]: intent: cannot be blank'],
    ['constraints', spec({ constraints: ['ok', ''] }), 'constraints: constraint at index 1 cannot be empty'],
  ])('rejects a bad %s with a 400 naming it', async (param, body, message) => {
    const res = await api.post('/groundings', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ kind: 'invalid request error', code: 'Orra:InvalidGrounding', param });
    expect(res.body.error.message).toContain(message);
  });

  it('accepts orra’s capitalised keys and the YAML spelling use-cases', async () => {
    const { useCases, ...rest } = spec({ name: 'yaml-style', version: '1' });
    const res = await api.post('/groundings', { ...rest, Name: 'yaml-style', 'use-cases': useCases });
    expect(res.status).toBe(201);
    expect(res.body.useCases).toHaveLength(3);
  });

  it('deletes one spec by name (204, also for an unknown name), then all', async () => {
    expect((await api.delete('/groundings/aaa-first')).status).toBe(204);
    expect((await api.delete('/groundings/never-applied')).status).toBe(204);
    expect((await api.get('/groundings')).body.map((s: { name: string }) => s.name)).toEqual(['ecommerce-support', 'yaml-style']);
    expect((await api.delete('/groundings')).status).toBe(204);
    expect((await api.get('/groundings')).body).toBeNull();
  });
});
