'use strict';

// Checks the stage and its parameters before osls builds, changes or reads anything:
// - the `local` stage (the default when no --stage is given) is for `sls invoke local` only:
//   every command that needs AWS refuses it in one line;
// - every parameter named in `custom.paramRules` must hold an allowed value, and every
//   `--param` given on the command line must name a parameter of `params.default`
//   (`sls package`, `sls deploy` and `sls invoke local` alike);
// - `sls package` / `sls deploy` print the parameters taken from `params.default`, one per line;
// - `sls invoke local` never writes into a deployed stage's bucket: rejected records are kept
//   in .quarantine/ unless `--param=quarantineBucket=NAME` names a bucket, which is said;
// - a local run whose Python fails prints the Python's own lines, without a JavaScript stack,
//   and a -p file ending in .json that is not JSON is one `setup error:` line;
// - `sls remove` says, in one line, what it leaves behind and which command empties it.
// Parameters are merged as osls merges them for `${param:...}`: --param, then
// params.<stage>, then params.default.

// The AWS SDK warns about Node versions older than the ones it will require next year; the
// Node versions this project supports (package.json engines) are not affected yet.
if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

const LOCAL_STAGE = 'local';
const PARAM_COMMANDS = new Set(['package', 'deploy', 'deploy function', 'invoke local']);
const BUILD_COMMANDS = new Set(['package', 'deploy', 'deploy function']);
// Commands that read or change a deployed stack; the local stage has none.
const AWS_COMMANDS = new Set([
  'package',
  'deploy',
  'deploy function',
  'deploy list',
  'deploy list functions',
  'info',
  'remove',
  'logs',
  'metrics',
  'rollback',
  'rollback function',
  'invoke',
]);

// Environment variable -> the stage parameter that names the resource, what goes there, and
// how its name is shown.
const STAGE_RESOURCES = {
  QUARANTINE_BUCKET: { param: 'quarantineBucket', what: 'rejected records', shown: (name) => `s3://${name}` },
  ARCHIVE_STREAM: { param: 'archiveStream', what: 'archive rows', shown: (name) => `Firehose stream ${name}` },
};

function describeRule(rule) {
  if (rule.oneOf) return `one of ${rule.oneOf.join(', ')}`;
  const [min, max] = rule.integer || rule.number;
  return `${rule.integer ? 'a whole number' : 'a number'} from ${min} to ${max}`;
}

function allowed(rule, value) {
  const text = String(value).trim();
  if (rule.oneOf) return rule.oneOf.map(String).includes(text);
  const [min, max] = rule.integer || rule.number;
  const pattern = rule.integer ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/;
  if (!pattern.test(text)) return false;
  const number = Number(text);
  return number >= min && number <= max;
}

function show(value) {
  if (value === '') return "''";
  return typeof value === 'string' ? value : JSON.stringify(value);
}

class StageGuard {
  constructor(serverless, options, { log } = {}) {
    this.serverless = serverless;
    this.options = options;
    this.log = log;
    const sls = serverless;
    this.command = ((sls.processedInput && sls.processedInput.commands) || []).join(' ');
    this.stage = String(options.stage || sls.service.provider.stage);
    this.cli = {};
    for (const item of [].concat(options.param || [])) {
      const at = item.indexOf('=');
      if (at > 0) this.cli[item.slice(0, at)] = item.slice(at + 1).trimEnd();
    }
    // In the constructor, not a lifecycle hook: osls validates the resolved configuration
    // against its own schema before any hook runs, and its messages name the configuration
    // path (provider.memorySize) rather than the stage parameter.
    this.fromDefaults = this.check();
    this.hooks = {
      initialize: () => this.report(),
      'before:invoke:local:invoke': () => this.withoutJavaScriptStack(),
      'before:remove:remove': () => this.pointToMakeRemove(),
    };
  }

  fail(message) {
    throw new this.serverless.classes.Error(message, 'STAGE_GUARD');
  }

  report() {
    if (this.fromDefaults && this.log) this.log.notice(this.fromDefaults);
    if (this.command === 'invoke local') {
      this.keepRejectedRecordsLocal();
      this.jsonFileAsSetupError();
    }
  }

  check() {
    const { command, stage, cli } = this;
    if (stage === LOCAL_STAGE && AWS_COMMANDS.has(command)) {
      this.fail(
        `Stage "${LOCAL_STAGE}" (the default) is for sls invoke local only: ` +
          `${command} another stage, e.g. --stage dev`
      );
    }
    if (!PARAM_COMMANDS.has(command)) return null;

    const config = this.serverless.configurationInput || {};
    const declared = config.params || {};
    const defaults = declared.default || {};
    const own = declared[stage] || {};
    const problems = [];
    for (const name of Object.keys(cli)) {
      if (!(name in defaults)) {
        problems.push(`--param ${name}: no such stage parameter (see params.default in serverless.yml)`);
      }
    }
    const rules = (config.custom && config.custom.paramRules) || {};
    for (const [name, rule] of Object.entries(rules)) {
      const value = name in cli ? cli[name] : name in own ? own[name] : defaults[name];
      if (value === undefined) {
        problems.push(`${name}: checked in custom.paramRules but not in params.default`);
      } else if (!allowed(rule, value)) {
        problems.push(`${name}=${show(value)} is not allowed: expected ${describeRule(rule)}`);
      }
    }
    if (problems.length) this.fail(problems.join('\n'));
    if (!BUILD_COMMANDS.has(command)) return null;

    const fromDefaults = Object.keys(defaults).filter((n) => !(n in own) && !(n in cli));
    const where = stage in declared ? '' : ` (stage "${stage}" is not under params)`;
    const lines = fromDefaults.map((n) => `  ${n}=${show(defaults[n])}`);
    return `Stage parameters from params.default${where}:${lines.length ? '' : ' none'}\n${lines.join('\n')}`.trimEnd();
  }

  // A deployed stage's own resources, as the function's environment names them: a local run
  // writes to one only when --param names it (a CloudFormation reference cannot be resolved
  // without AWS, and a name would be the stage's live resource).
  keepRejectedRecordsLocal() {
    const environment = this.serverless.service.provider.environment || {};
    for (const [variable, { param, what, shown }] of Object.entries(STAGE_RESOURCES)) {
      if (!(variable in environment)) continue;
      const chosen = this.cli[param];
      environment[variable] = chosen || '';
      if (chosen) {
        this.log.notice(`invoke local: ${what} are written to ${shown(chosen)} (--param=${param})`);
      } else if (this.stage !== LOCAL_STAGE) {
        this.log.notice(
          `invoke local: ${what} stay local, not in stage "${this.stage}"'s resources ` +
            `(--param=${param}=NAME writes them there)`
        );
      }
    }
  }

  invokeLocalPlugin() {
    return this.serverless.pluginManager.plugins.find(
      (p) => p.constructor && p.constructor.name === 'AwsInvokeLocal'
    );
  }

  // osls parses a -p file ending in .json itself: one that is not JSON is said as the function
  // says any other input that is not a Lambda Kinesis event.
  jsonFileAsSetupError() {
    const plugin = this.invokeLocalPlugin();
    if (!plugin || plugin.validateFile.stageGuard) return;
    const original = plugin.validateFile.bind(plugin);
    const wrapped = async (filePath, key) => {
      try {
        return await original(filePath, key);
      } catch (error) {
        if (error.code !== 'INVOKE_LOCAL_INVALID_FILE_CONTENT') throw error;
        const why = String(error.message).split(' failed with: ').pop();
        return this.fail(
          `setup error: ${filePath} is not JSON (${why}): -p takes a Lambda Kinesis event; wrap ` +
            'EventBridge event files with python -m operata kinesis-event FILE... -o batch.json'
        );
      }
    };
    wrapped.stageGuard = true;
    plugin.validateFile = wrapped;
  }

  withoutJavaScriptStack() {
    const plugin = this.invokeLocalPlugin();
    if (!plugin || plugin.invokeLocalPython.stageGuard) return;
    const original = plugin.invokeLocalPython.bind(plugin);
    const wrapped = async (...args) => {
      try {
        return await original(...args);
      } catch (error) {
        if (typeof error.code !== 'number') throw error;
        return this.fail(`the function exited with code ${error.code}: see its lines above`);
      }
    };
    wrapped.stageGuard = true;
    plugin.invokeLocalPython = wrapped;
  }

  pointToMakeRemove() {
    this.log.notice(
      `sls remove: the stack's buckets must be empty (retained ones are kept): make remove ` +
        `STAGE=${this.stage} says what they hold and, with EMPTY_BUCKETS=yes, empties them first`
    );
  }
}

module.exports = StageGuard;
