'use strict';

// The archive table's detail_type partitions: the detail-type of every type module's
// EVENT_TYPE (what operata_lambda/events/registry.py collects), then Other, where rows of a
// detail-type without a model land. Read from the modules, so that a new type
// (`python -m operata schemas update --new-type`) needs no edit of serverless.yml.
const fs = require('fs');
const path = require('path');

const EVENTS = path.join(__dirname, '..', 'operata_lambda', 'events');
const DECLARED = /EventType\(\s*detail_type="([^"]+)"/;

function pythonFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return pythonFiles(full);
    return entry.name.endsWith('.py') ? [full] : [];
  });
}

module.exports = () => {
  const types = pythonFiles(EVENTS)
    .map((file) => DECLARED.exec(fs.readFileSync(file, 'utf8')))
    .filter(Boolean)
    .map((match) => match[1]);
  return [...new Set(types)].sort().concat(['Other']).join(',');
};
