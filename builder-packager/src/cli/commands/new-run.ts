/** What `cnbkit new` does, loaded only when it runs (new.ts declares its usage and options). */
import { scaffold, type TemplateName } from "../../scaffold/index.js";
import { stringOption, type Invocation } from "../command.js";

/** Runs `cnbkit new`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const id = stringOption(inv, "id");
  const name = stringOption(inv, "name");
  const result = await scaffold({
    template: (stringOption(inv, "template") ?? "buildpack") as TemplateName,
    dir: inv.positionals[0]!,
    ...(id === undefined ? {} : { id }),
    ...(name === undefined ? {} : { name }),
  });
  inv.out(`Created ${result.template} ${result.id} (${result.name}) in ${result.dir}: ${result.files.length} files`);
  inv.out("");
  inv.out("Next steps:");
  for (const step of result.nextSteps) inv.out(`  ${step}`);
  return 0;
}
