import { referenceBuilder } from "../test/e2e/support.js";
console.log(await referenceBuilder(() => {}));
