/**
 * Both manifests validated against Slack's own published app-manifest schema (test/slack-manifest-schema/, a
 * copy of slackapi/manifest-schema), not only against each other: a misspelt key, a wrong type or an
 * over-long field is what Slack's "Create from manifest" would refuse.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import YAML from 'yaml';
import { REPO_ROOT } from '../peers/slack-api';

const SCHEMAS = path.join(REPO_ROOT, 'test', 'slack-manifest-schema');
const readJson = (f: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(SCHEMAS, f), 'utf8')) as Record<string, unknown>;

function validator() {
  // The only `format` in the schema is `uri` on the optional `$schema` key, which our manifests do not set.
  const ajv = new Ajv({ allErrors: true, strict: false, formats: { uri: true } });
  ajv.addSchema(readJson('manifest.schema.1.0.0.json'), 'https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/manifest.schema.1.0.0.json');
  // v2 (Slack-hosted "run on Slack" apps) is not used by this project; its $ref is satisfied by an empty schema
  // that can never match, since our manifests carry no `_metadata.major_version: 2`.
  ajv.addSchema({ not: {} }, 'https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/manifest.schema.2.0.0.json');
  return ajv.compile(readJson('manifest.schema.json'));
}

const load = (f: string): Record<string, any> => YAML.parse(fs.readFileSync(path.join(REPO_ROOT, f), 'utf8')) as Record<string, any>;

describe("manifests against Slack's manifest schema", () => {
  const validate = validator();

  it.each(['manifest.yml', 'manifest.http.yml'])('%s is valid', (file) => {
    const ok = validate(load(file));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema does refuse what Slack refuses (so a pass means something)', () => {
    const typo = load('manifest.yml');
    typo.settings.event_subscription = typo.settings.event_subscriptions; // misspelt key
    expect(validate(typo)).toBe(false);
    const long = load('manifest.yml');
    long.display_information.description = 'x'.repeat(200); // Slack allows 140 characters
    expect(validate(long)).toBe(false);
    const badCommand = load('manifest.http.yml');
    badCommand.features.slash_commands[0].url = 'ftp://YOUR-HOST/slack/events';
    expect(validate(badCommand)).toBe(false);
  });
});
