'use strict';
// The source of a stand-in for a node module that loads the module when one of its exports is
// first read (build.mjs bundles it where the code imports the module): a getter for each name the
// module exports in the node that builds, forwarding to the module itself.
exports.lazyModuleSource = function lazyModuleSource(name) {
  const keys = Object.keys(require(name));
  return (
    `let m;\nconst load = () => (m ??= require(${JSON.stringify(name)}));\n` +
    keys.map((k) => `Object.defineProperty(exports, ${JSON.stringify(k)}, { enumerable: true, get: () => load()[${JSON.stringify(k)}] });\n`).join('')
  );
};
