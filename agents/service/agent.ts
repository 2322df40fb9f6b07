import { onHost, tail } from '../../src/agents/host-errors.js'
import { defineAgent, RpcError, type ActionContext, type ActionOutputs } from '../../src/agents/define.js'
import type { ChangeResult, ServiceInfo, ServiceState } from '../../src/host/types.js'
import { Status } from '../../src/protocol/status.js'

function describeService(info: ServiceInfo): ActionOutputs {
  return { name: info.name, status: info.status, enabled: info.enabled }
}

type Change = 'start' | 'stop' | 'restart' | 'reload'

/** The state each change must leave the service in. */
const EXPECTED: Record<Change, ServiceState> = { start: 'running', stop: 'stopped', restart: 'running', reload: 'running' }

async function change(ctx: ActionContext, kind: Change, name: string): Promise<ActionOutputs> {
  const services = ctx.host.services
  const result = await onHost<ServiceInfo & ChangeResult>(`cannot ${kind} service ${name}`, () => services[kind](name))
  if (result.exitCode !== 0)
    throw new RpcError(Status.Aborted, `${kind} of service ${name} failed (${services.name} exit code ${result.exitCode}): ${tail(result.output)}`)
  if (result.status !== EXPECTED[kind])
    throw new RpcError(Status.Aborted, `service ${name} is ${result.status} after ${kind}, expected ${EXPECTED[kind]}: ${tail(result.output)}`)
  return { ...describeService(result), output: result.output }
}

async function statusOf(ctx: ActionContext, name: string): Promise<ServiceInfo> {
  return onHost(`cannot read the status of service ${name}`, () => ctx.host.services.status(name))
}

export default defineAgent({
  ddl: 'service',
  actions: {
    status: async ({ service }, ctx) => describeService(await statusOf(ctx, service)),

    start: async ({ service }, ctx) => {
      const before = await statusOf(ctx, service)
      if (before.status === 'running') return { ...describeService(before), output: 'already running' }
      return change(ctx, 'start', service)
    },

    stop: async ({ service }, ctx) => {
      const before = await statusOf(ctx, service)
      if (before.status === 'stopped') return { ...describeService(before), output: 'already stopped' }
      return change(ctx, 'stop', service)
    },

    restart: ({ service }, ctx) => change(ctx, 'restart', service),

    reload: async ({ service }, ctx) => {
      const before = await statusOf(ctx, service)
      if (before.status === 'stopped') throw new RpcError(Status.Aborted, `cannot reload service ${service}: it is stopped (use start)`)
      return change(ctx, 'reload', service)
    },
  },
})
