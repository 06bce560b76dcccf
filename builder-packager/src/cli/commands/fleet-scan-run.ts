/** What `cnbkit fleet scan` does, loaded only when it runs (fleet-scan.ts declares its usage and options). */
import { existsSync } from "node:fs";
import { type FleetInventory, readInventory, writeInventory } from "../../fleet/index.js";
import { stringOption, type Invocation } from "../command.js";
import { scanWithProgress, summaryLines } from "./fleet-input.js";

/** Runs `cnbkit fleet scan`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const output = stringOption(inv, "output") ?? "fleet.json";
  const previousFile = stringOption(inv, "previous");
  let previous: FleetInventory | undefined;
  if (previousFile) previous = await readInventory(previousFile);
  else if (existsSync(output)) {
    previous = await readInventory(output).catch((err: Error) => {
      inv.err(`note: not reusing ${output} (${err.message}); scanning everything`);
      return undefined;
    });
  }
  const { inventory, summary } = await scanWithProgress(inv, previous);
  await writeInventory(output, inventory);
  for (const line of summaryLines(inventory, summary)) inv.out(line);
  inv.out(`Wrote ${output} (${inventory.schema})`);
  return inventory.errors.length ? 1 : 0;
}
