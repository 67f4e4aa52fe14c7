/** @module The `ramp-connect` program: the entry of bin/ramp-connect.js (sources through tsx) and of the bundle in dist/ (`npm run build`). */
import { main } from './main.ts';

await main(process.argv.slice(2));
