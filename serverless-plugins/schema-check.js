'use strict';

// The full check of the schema files (every file against the draft 2020-12 meta-schema, every
// $ref resolved, every pattern compiled by Python's re, the engine that runs it) before
// `sls package`, `sls deploy` and `sls invoke local` go on: a schema that would turn every
// record it meets into a rejection is refused in one line, naming the file and the keyword.
// The check is `python -m operata_lambda.setup_check` (the deployed function's cold start runs
// only its cheap part). Packaging checks the schemas/ that go into the zip, with the Python the
// zip is built with; `sls invoke local` checks what the function will read, with the python3
// it starts.

const { spawnSync } = require('child_process');

class SchemaCheck {
  constructor(serverless) {
    this.serverless = serverless;
    const packaging = () => this.check(this.buildPython(), { packaged: true });
    this.hooks = {
      'before:package:createDeploymentArtifacts': packaging,
      'before:deploy:function:packageFunction': packaging,
      'before:invoke:local:invoke': () => this.check('python3', { packaged: false }),
    };
  }

  buildPython() {
    const service = this.serverless.service;
    const requirements = (service.custom && service.custom.pythonRequirements) || {};
    return requirements.pythonBin || service.provider.runtime;
  }

  check(python, { packaged }) {
    const env = { ...process.env };
    if (packaged) delete env.OPERATA_SCHEMA_DIR; // the zip holds schemas/; nothing else is read
    const done = spawnSync(python, ['-m', 'operata_lambda.setup_check'], {
      cwd: this.serverless.serviceDir,
      env,
      encoding: 'utf8',
    });
    if (done.error) {
      this.fail(`setup error: cannot run ${python} to check the schemas (${done.error.code}): ` +
        'activate the virtualenv (. .venv/bin/activate) or run make install');
    }
    if (done.status !== 0) {
      const lines = `${done.stderr}\n${done.stdout}`.split('\n').map((l) => l.trim());
      const line = lines.find((l) => l.startsWith('setup error: ')) ||
        `setup error: the schema check failed (${python} exit ${done.status}): ` +
          (lines.filter(Boolean).pop() || 'no output');
      this.fail(line);
    }
  }

  fail(line) {
    throw new this.serverless.classes.Error(line, 'SCHEMA_CHECK');
  }
}

module.exports = SchemaCheck;
