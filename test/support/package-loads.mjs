// `node --import ./test/support/package-loads.mjs …`: appends the name of every npm package the
// process loads through the ESM loader to the file named by MAWJLY_TEST_PACKAGE_LOG, one a line.
// test/integration/startup-footprint.test.ts uses it to see what `mawjly serve` loads.
import { register } from 'node:module';

const file = process.env.MAWJLY_TEST_PACKAGE_LOG;
if (file) register('./package-loads-hooks.mjs', import.meta.url, { data: { file } });
