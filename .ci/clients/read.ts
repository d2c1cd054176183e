// A TypeScript client generated from the committed OpenAPI document (openapi-typescript +
// openapi-fetch), with no hand-written type: it reads a partnership, the strategic plan in
// force with its goals and measures, and the plan's fulfilment, and fails on anything the
// types or the server disagree on. Run by .ci/contract.sh after `tsc --strict`.
import createClient from "openapi-fetch";
import type { paths } from "./schema.d.ts";

const base = process.env.BASE ?? "http://127.0.0.1:8080";
const client = createClient<paths>({ baseUrl: base, headers: { Authorization: `Bearer ${process.env.TOKEN}` } });

function fail(message: string): never {
  console.error(`typescript client: ${message}`);
  process.exit(1);
}

const partnerships = await client.GET("/api/v1/partnerships", { params: { query: { q: "rozvodi", limit: 10 } } });
if (!partnerships.data) fail(`list partnerships: ${JSON.stringify(partnerships.error)}`);
const rozvodi = partnerships.data.items.find((p) => p.name.includes("Rozvodí")) ?? fail("Rozvodí not found");
const one = await client.GET("/api/v1/partnerships/{id}", { params: { path: { id: rozvodi.id } } });
if (!one.data) fail(`get partnership: ${JSON.stringify(one.error)}`);
const status: "forming" | "active" | "handed_over" | "ended" = one.data.status;

const plans = await client.GET("/api/v1/partnerships/{id}/strategic-plans", { params: { path: { id: rozvodi.id } } });
if (!plans.data) fail(`list plans: ${JSON.stringify(plans.error)}`);
const plan = plans.data.items[0] ?? fail("no strategic plan");
const goals = await client.GET("/api/v1/strategic-plans/{id}/goals", { params: { path: { id: plan.id } } });
if (!goals.data) fail(`goals: ${JSON.stringify(goals.error)}`);
const measures = await client.GET("/api/v1/strategic-plans/{id}/measures", { params: { path: { id: plan.id }, query: { limit: 100 } } });
if (!measures.data) fail(`measures: ${JSON.stringify(measures.error)}`);
const first = measures.data.items[0] ?? fail("no measures");
const deadline: string = first.deadline;
const fulfilment = await client.GET("/api/v1/strategic-plans/{id}/fulfilment", { params: { path: { id: plan.id } } });
if (!fulfilment.data) fail(`fulfilment: ${JSON.stringify(fulfilment.error)}`);
const region = await client.GET("/api/v1/territorial-units", { params: { query: { region: "CZ053" } } });
if (!region.data) fail(`units by region: ${JSON.stringify(region.error)}`);

console.log(
  `typescript client: ${one.data.name} (${status}), plan v${plan.version_number} ${plan.status}, ` +
    `${goals.data.items.length} goals, ${measures.data.items.length} measures (first due ${deadline}), ` +
    `fulfilment ${JSON.stringify(fulfilment.data.counts)}, progress ${fulfilment.data.progress}`,
);
