'use strict';

// Checks the stage and its parameters before `sls package` / `sls deploy` build or create
// anything:
// - the `local` stage is refused (it exists for `sls invoke local` only);
// - every parameter named in `custom.paramRules` must hold an allowed value, and every
//   `--param` given on the command line must name a parameter of `params.default`;
// - the parameters taken from `params.default` (not set by the stage or --param) are printed.
// Parameters are merged as osls merges them for `${param:...}`: --param, then
// params.<stage>, then params.default. Other commands (`sls invoke local`, `sls print`,
// `sls info`, `sls remove`) are left alone.

const LOCAL_STAGE = 'local';
const CHECKED_COMMANDS = new Set(['package', 'deploy', 'deploy function']);

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
    // In the constructor, not a lifecycle hook: osls validates the resolved configuration
    // against its own schema before any hook runs, and its messages name the configuration
    // path (provider.memorySize) rather than the stage parameter.
    this.fromDefaults = this.check();
    this.hooks = { initialize: () => this.report() };
  }

  report() {
    if (this.fromDefaults && this.log) this.log.notice(this.fromDefaults);
  }

  check() {
    const sls = this.serverless;
    const command = ((sls.processedInput && sls.processedInput.commands) || []).join(' ');
    if (!CHECKED_COMMANDS.has(command)) return null;
    const stage = String(this.options.stage || sls.service.provider.stage);
    const fail = (message) => {
      throw new sls.classes.Error(message, 'STAGE_GUARD');
    };
    if (stage === LOCAL_STAGE) {
      fail(
        `Stage "${LOCAL_STAGE}" is for sls invoke local only (make demo): ` +
          `${command} another stage, e.g. --stage dev`
      );
    }

    const config = sls.configurationInput || {};
    const declared = config.params || {};
    const defaults = declared.default || {};
    const own = declared[stage] || {};
    const cli = {};
    for (const item of [].concat(this.options.param || [])) {
      const at = item.indexOf('=');
      if (at > 0) cli[item.slice(0, at)] = item.slice(at + 1).trimEnd();
    }

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
    if (problems.length) fail(problems.join('\n'));

    const fromDefaults = Object.keys(defaults).filter((n) => !(n in own) && !(n in cli));
    const where = stage in declared ? '' : ` (stage "${stage}" is not under params)`;
    return (
      `Stage parameters from params.default${where}: ` +
      (fromDefaults.map((n) => `${n}=${show(defaults[n])}`).join(', ') || 'none')
    );
  }
}

module.exports = StageGuard;
