// Fails loudly when an npm script runs under a Node.js other than the project's pinned 24.x
// (the `node` package in dependencies puts it first on PATH for npm scripts).
const major = Number(process.versions.node.split(".")[0]);
if (major !== 24) {
  console.error(
    `\nThis project runs on Node.js 24 LTS (pinned by the \`node\` package), but this is Node.js ${process.versions.node}.\n` +
      `Run it through npm (\`npm start\`, \`npm test\`) after \`npm install\`, which puts node_modules/.bin/node (24.x) first on PATH.\n`,
  );
  process.exit(1);
}
