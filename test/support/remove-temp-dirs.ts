/**
 * vitest setup file: after each test file, remove the temp dirs the framework's test harness
 * made (vitest ends its fork workers with a signal, so the harness's exit hook never runs).
 */
import { afterAll } from "vitest";
import { removeTempDirs } from "@cnbkit/framework/testing";

afterAll(removeTempDirs);
