import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('LLM planner configuration', () => {
  it('is off by default, with a two-minute planning budget', () => {
    const config = loadConfig({ env: { ORRA_DATA_DIR: '/tmp/orra-x' } });
    expect(config.llmApiBaseUrl).toBeUndefined();
    expect(config.llmTimeoutMs).toBe(120_000);
  });

  it('reads orra’s variable names', () => {
    const config = loadConfig({
      env: { LLM_API_BASE_URL: 'http://localhost:11434/v1', LLM_MODEL: 'qwen2.5', LLM_API_KEY: 'k', ORRA_LLM_TIMEOUT_MS: '5000' },
    });
    expect(config).toMatchObject({ llmApiBaseUrl: 'http://localhost:11434/v1', llmModel: 'qwen2.5', llmApiKey: 'k', llmTimeoutMs: 5000 });
  });

  it('refuses a base URL without a model, and a URL that is not http(s)', () => {
    expect(() => loadConfig({ env: { LLM_API_BASE_URL: 'http://localhost:11434/v1' } })).toThrow(/LLM_MODEL: required when LLM_API_BASE_URL is set/);
    expect(() => loadConfig({ env: { LLM_API_BASE_URL: 'ftp://x', LLM_MODEL: 'm' } })).toThrow(/LLM_API_BASE_URL/);
  });
});
