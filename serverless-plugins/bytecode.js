'use strict';

// Puts the bytecode of every Python module into the deployment zip, compiled for the
// function's runtime (scripts/compile-bytecode.py says why and how). Runs after
// serverless-python-requirements has added the dependencies to the zip, so list it after that
// plugin in `plugins:`. The runtime's interpreter (python3.12 for runtime python3.12) must be
// on PATH, as serverless-python-requirements already requires.

const path = require('path');
const { spawnSync } = require('child_process');

const SCRIPT = path.join(__dirname, '..', 'scripts', 'compile-bytecode.py');

class Bytecode {
  constructor(serverless, options, { log } = {}) {
    this.serverless = serverless;
    this.log = log;
    this.hooks = {
      'after:package:createDeploymentArtifacts': () => this.compile(this.serviceArtifact()),
      'after:deploy:function:packageFunction': () =>
        this.compile(this.functionArtifact(options.function)),
    };
  }

  serviceArtifact() {
    const service = this.serverless.service;
    return (
      service.package.artifact ||
      path.join(this.serverless.serviceDir, '.serverless', `${service.service}.zip`)
    );
  }

  functionArtifact(name) {
    const fn = this.serverless.service.getFunction(name);
    return (fn.package && fn.package.artifact) || this.serviceArtifact();
  }

  compile(artifact) {
    const runtime = String(this.serverless.service.provider.runtime || '');
    if (!runtime.startsWith('python')) return;
    const zip = path.resolve(this.serverless.serviceDir, artifact);
    const run = spawnSync(runtime, [SCRIPT, '--runtime', runtime, zip], { encoding: 'utf8' });
    if (run.error) {
      throw new this.serverless.classes.Error(
        `${runtime} not found on PATH: it compiles the zip's bytecode (. .venv/bin/activate)`,
        'BYTECODE'
      );
    }
    if (run.status !== 0) {
      const problem = (run.stderr || run.stdout).trim().split('\n').pop();
      throw new this.serverless.classes.Error(problem, 'BYTECODE');
    }
    if (this.log) this.log.notice(run.stdout.trim());
  }
}

module.exports = Bytecode;
