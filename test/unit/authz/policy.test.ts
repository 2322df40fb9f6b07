import { describe, expect, it } from 'vitest'
import { evaluatePolicy, parsePolicy, PolicySyntaxError } from '../../../src/authz/index.js'
import type { Policy } from '../../../src/authz/index.js'
import type { NodeInventory } from '../../../src/filter/index.js'
import { isMcshError } from '../../../src/util/errors.js'

function node(facts: Record<string, string | number | boolean> = {}, classes: string[] = [], identity = 'web1.example.com'): NodeInventory {
  return { identity, facts, classes: new Set(classes), agents: new Set(['rpcutil', 'service']) }
}

const debianWeb = node({ 'os.family': 'debian', role: 'web', environment: 'staging' }, ['role::web', 'apache'])
const redhatDb = node({ 'os.family': 'redhat', role: 'db', environment: 'production' }, ['role::db', 'mysql::server'])

function syntaxError(text: string, file = 'service.policy'): PolicySyntaxError {
  try {
    parsePolicy(text, file)
  } catch (e) {
    if (e instanceof PolicySyntaxError) return e
    throw e
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`)
}

const call = (callerId: string, action: string) => ({ callerId, action })

describe('parsePolicy: fields', () => {
  it('reads TAB-separated lines, comments, blank lines and the default', () => {
    const p = parsePolicy(
      ['# service policy', '', 'policy default deny', 'allow\tcert=alice\t*\t*\t*', '   # indented comment', 'allow\tcert=bob uid=500\tstatus restart\tos.family=debian\trole::web'].join('\n'),
      'service.policy',
    )
    expect(p.defaultEffect).toBe('deny')
    expect(p.rules).toEqual([
      { effect: 'allow', callers: ['cert=alice'], actions: '*', facts: '*', classes: '*', line: 4, text: 'allow cert=alice * * *' },
      {
        effect: 'allow',
        callers: ['cert=bob', 'uid=500'],
        actions: ['status', 'restart'],
        facts: 'os.family=debian',
        classes: 'role::web',
        line: 6,
        text: 'allow cert=bob uid=500 status restart os.family=debian role::web',
      },
    ])
  })

  it('accepts runs of two or more spaces, mixed with TABs, as separators', () => {
    const p = parsePolicy('allow   cert=bob     status restart      os.family=debian  \t role::web\ndeny  *  restart  *  *', 'x.policy')
    expect(p.rules[0]).toMatchObject({ callers: ['cert=bob'], actions: ['status', 'restart'], facts: 'os.family=debian', classes: 'role::web' })
    expect(p.rules[1]).toMatchObject({ effect: 'deny', callers: '*', actions: ['restart'], facts: '*', classes: '*' })
  })

  it('accepts CRLF line endings and trailing comments', () => {
    const p = parsePolicy('policy default allow   # the rest is open\r\ndeny\t*\trestart\t*\t*  # nobody restarts\r\n', 'x.policy')
    expect(p.defaultEffect).toBe('allow')
    expect(p.rules[0]).toMatchObject({ effect: 'deny', actions: ['restart'], text: 'deny * restart * *' })
  })

  it('keeps a # inside a quoted value', () => {
    const p = parsePolicy("allow\t*\t*\tnote='a #1 host' or role=web", 'x.policy')
    expect(p.rules[0]?.facts).toBe("note='a #1 host' or role=web")
  })

  it('lets the CLASSES field be left out (it is then *)', () => {
    const p = parsePolicy('allow\tuid=1000\t*\t(role=web or role=db) and not environment=production', 'x.policy')
    expect(p.rules[0]).toMatchObject({ facts: '(role=web or role=db) and not environment=production', classes: '*' })
  })

  it('returns an empty policy for an empty file', () => {
    expect(parsePolicy('', 'x.policy')).toEqual({ file: 'x.policy', rules: [] })
    expect(parsePolicy('# nothing\n\n', 'x.policy').defaultEffect).toBeUndefined()
  })
})

describe('parsePolicy: errors', () => {
  it('names the line and what was expected for a bad effect', () => {
    const e = syntaxError('policy default deny\n\n\nalow\t*\t*\t*\t*')
    expect(e.message).toBe("service.policy line 4, column 1: expected allow or deny but found 'alow'")
    expect(e.line).toBe(4)
    expect(e.file).toBe('service.policy')
    expect(e.code).toBe('MCSH_POLICY_SYNTAX')
    expect(isMcshError(e, 'MCSH_POLICY_SYNTAX')).toBe(true)
  })

  it('rejects bad policy default lines', () => {
    expect(syntaxError('policy default maybe').message).toBe("service.policy line 1, column 16: expected allow or deny after 'policy default' but found 'maybe'")
    expect(syntaxError('policy deny').message).toBe("service.policy line 1, column 8: expected 'default' after 'policy' but found 'deny'")
    expect(syntaxError('policy default').message).toContain('expected allow or deny after \'policy default\' but found end of line')
    expect(syntaxError('policy default deny allow').message).toContain("expected end of line after 'policy default deny' but found 'allow'")
    expect(syntaxError('policy default deny\npolicy default allow').message).toBe("service.policy line 2, column 1: 'policy default' is already set on line 1")
  })

  it('explains single-space separators', () => {
    expect(syntaxError('allow * * * *').message).toBe(
      "service.policy line 1, column 6: expected a TAB (or two or more spaces) after 'allow': fields are separated by TABs or runs of 2+ spaces",
    )
  })

  it('names the missing field', () => {
    expect(syntaxError('deny').message).toBe("service.policy line 1, column 5: expected the CALLERS field after 'deny' but found end of line")
    expect(syntaxError('deny\t*').message).toBe("service.policy line 1, column 7: expected the ACTIONS field after '*' but found end of line")
    expect(syntaxError('deny\t*\trestart').message).toBe("service.policy line 1, column 15: expected the FACTS field after 'restart' but found end of line")
  })

  it('rejects extra fields', () => {
    const e = syntaxError('allow\t*\t*\t*\t*\tapache')
    expect(e.message).toContain('line 1, column 15: expected at most 5 fields (effect, CALLERS, ACTIONS, FACTS, CLASSES) but found 6')
  })

  it('rejects bad callers', () => {
    expect(syntaxError('allow\talice\t*\t*\t*').message).toBe(
      "service.policy line 1, column 7: CALLERS: expected a caller id such as cert=alice or uid=500 (or '*') but found 'alice'",
    )
    expect(syntaxError('allow\tcert=*-ops\t*\t*\t*').message).toContain("column 12: CALLERS: a '*' wildcard may only end a caller id, as in cert=ops-*, but found 'cert=*-ops'")
    expect(syntaxError('allow\tcert=a *\t*\t*\t*').message).toContain("column 14: CALLERS: '*' must be the whole field")
    expect(syntaxError('allow\tcert=\t*\t*\t*').message).toContain("but found 'cert='")
  })

  it('rejects bad actions', () => {
    expect(syntaxError('allow\t*\tstatus,restart\t*\t*').message).toBe(
      "service.policy line 1, column 9: ACTIONS: expected an action name but found 'status,restart' (separate actions with spaces, not commas)",
    )
    expect(syntaxError('allow\t*\tstatus *\t*\t*').message).toContain("column 16: ACTIONS: '*' must be the whole field")
  })

  it('points at the column of a bad facts expression', () => {
    const line = 'allow\t*\t*\t(role=web or role=db'
    const e = syntaxError(line)
    expect(e.message).toMatch(/^service\.policy line 1, column 31: FACTS: bad compound expression: expected .*'\)'.* but found end of input$/)
    expect(e.column).toBe(31)
    const bad = syntaxError('allow\t*\t*\tos.family=debian memory>=\t*')
    expect(bad.message).toBe("service.policy line 1, column 36: FACTS: bad fact term: expected a value after '>=' but found end of input")
  })

  it('reports bad regexes with their column', () => {
    const e = syntaxError('allow\t*\t*\tkernel=/^(5/\t*')
    expect(e.message).toBe("service.policy line 1, column 20: FACTS: bad fact term: bad regex: unterminated group: missing ')'")
  })

  it('refuses data plugin terms, which nothing answers during authorization', () => {
    expect(syntaxError("deny\t*\t*\tfstat('/etc/x').size > 0").message).toContain('FACTS: data plugin terms such as fstat(...) cannot be used in a policy')
  })

  it('rejects fact terms in CLASSES', () => {
    expect(syntaxError('allow\t*\t*\t*\tos=linux').message).toBe(
      "service.policy line 1, column 13: CLASSES: expected a class name or /regex/ but found the fact term 'os=linux' (fact terms belong in FACTS)",
    )
    expect(syntaxError('allow\t*\t*\t*\tapache *').message).toContain("CLASSES: '*' must be the whole field")
    expect(syntaxError('allow\t*\t*\t*\t/(a/').message).toMatch(/CLASSES: bad class: bad regex/)
  })

  it('uses the file name it is given', () => {
    expect(syntaxError('x', '/etc/mcsh/policies/puppet.policy').message).toMatch(/^\/etc\/mcsh\/policies\/puppet\.policy line 1, column 1: /)
  })
})

describe('evaluatePolicy', () => {
  const text = [
    'policy default deny',
    'allow\tcert=alice\t*\t*\t*',
    'allow\tcert=bob\tstatus restart\tos.family=debian\trole::web',
    'deny\t*\trestart\t*\t*',
    'allow\tuid=1000\t*\t(role=web or role=db) and not environment=production',
    'allow\tcert=ops-*\tstatus\t*\t*',
  ].join('\n')
  const policy = parsePolicy(text, '/etc/mcsh/policies/service.policy')

  it('lets the first matching rule decide', () => {
    expect(evaluatePolicy(policy, 'service', call('cert=alice', 'restart'), redhatDb, 'deny')).toEqual({
      allowed: true,
      reason: 'allowed by /etc/mcsh/policies/service.policy line 2: allow cert=alice * * *',
    })
    expect(evaluatePolicy(policy, 'service', call('cert=bob', 'restart'), debianWeb, 'deny')).toEqual({
      allowed: true,
      reason: 'allowed by /etc/mcsh/policies/service.policy line 3: allow cert=bob status restart os.family=debian role::web',
    })
    // bob on a redhat db node: line 3 does not match, line 4 does.
    expect(evaluatePolicy(policy, 'service', call('cert=bob', 'restart'), redhatDb, 'allow')).toEqual({
      allowed: false,
      reason: 'denied by /etc/mcsh/policies/service.policy line 4: deny * restart * *',
    })
  })

  it('falls back to the file default, then the global default', () => {
    expect(evaluatePolicy(policy, 'service', call('cert=mallory', 'status'), debianWeb, 'allow')).toEqual({
      allowed: false,
      reason: 'denied by the default of service.policy (policy default deny)',
    })
    const open = parsePolicy('policy default allow\ndeny\t*\trestart\t*\t*', 'service.policy')
    expect(evaluatePolicy(open, 'service', call('cert=x', 'status'), debianWeb, 'deny')).toEqual({
      allowed: true,
      reason: 'allowed by the default of service.policy (policy default allow)',
    })
    const noDefault = parsePolicy('deny\t*\trestart\t*\t*', 'service.policy')
    const d = evaluatePolicy(noDefault, 'service', call('cert=x', 'status'), debianWeb, 'allow')
    expect(d.allowed).toBe(true)
    expect(d.reason).toContain('the global default is allow')
    expect(evaluatePolicy(noDefault, 'service', call('cert=x', 'status'), debianWeb, 'deny').allowed).toBe(false)
  })

  it('applies the global default when there is no policy', () => {
    expect(evaluatePolicy(undefined, 'service', call('cert=x', 'status'), debianWeb, 'deny')).toEqual({
      allowed: false,
      reason: "denied: no policy for agent 'service' and the global default is deny",
    })
    expect(evaluatePolicy(undefined, 'service', call('cert=x', 'status'), debianWeb, 'allow').allowed).toBe(true)
  })

  it('matches trailing-wildcard callers by prefix, others exactly', () => {
    expect(evaluatePolicy(policy, 'service', call('cert=ops-carol', 'status'), redhatDb, 'deny').reason).toContain('line 6')
    expect(evaluatePolicy(policy, 'service', call('cert=ops-', 'status'), redhatDb, 'deny').reason).toContain('line 6')
    expect(evaluatePolicy(policy, 'service', call('cert=opsx', 'status'), redhatDb, 'deny').allowed).toBe(false)
    // No substring matching: cert=alice2 is not cert=alice.
    expect(evaluatePolicy(policy, 'service', call('cert=alice2', 'status'), redhatDb, 'deny').allowed).toBe(false)
    expect(evaluatePolicy(policy, 'service', call('cert=alic', 'status'), redhatDb, 'deny').allowed).toBe(false)
  })

  it('evaluates compound facts', () => {
    const staging = node({ role: 'db', environment: 'staging' })
    expect(evaluatePolicy(policy, 'service', call('uid=1000', 'status'), staging, 'deny').reason).toContain('line 5')
    expect(evaluatePolicy(policy, 'service', call('uid=1000', 'status'), redhatDb, 'deny').reason).toContain('policy default deny')
    expect(evaluatePolicy(policy, 'service', call('uid=1000', 'status'), node({ role: 'mail' }), 'deny').allowed).toBe(false)
  })

  it('evaluates compound expressions with classes and class regexes', () => {
    const p = parsePolicy(
      [
        'allow\t*\tstatus\tos.family=debian and (role::web or /^mysql::/)',
        'allow\t*\tinfo\tnot class:apache',
        'allow\t*\tcheck\t*\t/^role::/ apache',
        'allow\t*\tboth\tenvironment=staging memory>=4096\trole::web',
        'allow\t*\tcls\t*\tapache or mysql::server',
      ].join('\n'),
      'x.policy',
    )
    const ev = (action: string, n: NodeInventory) => evaluatePolicy(p, 'x', call('cert=a', action), n, 'deny').allowed
    expect(ev('status', debianWeb)).toBe(true)
    expect(ev('status', node({ 'os.family': 'debian' }, ['mysql::server']))).toBe(true)
    expect(ev('status', node({ 'os.family': 'debian' }, ['nginx']))).toBe(false)
    expect(ev('status', redhatDb)).toBe(false)
    expect(ev('info', debianWeb)).toBe(false)
    expect(ev('info', redhatDb)).toBe(true)
    expect(ev('check', debianWeb)).toBe(true)
    expect(ev('check', node({}, ['role::web']))).toBe(false)
    expect(ev('both', node({ environment: 'staging', memory: 8192 }, ['role::web']))).toBe(true)
    expect(ev('both', node({ environment: 'staging', memory: 1024 }, ['role::web']))).toBe(false)
    expect(ev('both', node({ environment: 'staging', memory: 8192 }, []))).toBe(false)
    expect(ev('cls', redhatDb)).toBe(true)
    expect(ev('cls', node())).toBe(false)
  })

  it('never matches a fact the node does not have', () => {
    const p = parsePolicy('deny\t*\t*\tenvironment!=production\t*', 'x.policy')
    expect(evaluatePolicy(p, 'x', call('cert=a', 'status'), node({}), 'allow').allowed).toBe(true)
    expect(evaluatePolicy(p, 'x', call('cert=a', 'status'), node({ environment: 'dev' }), 'allow').allowed).toBe(false)
  })

  it('evaluates a hand-built policy the same way', () => {
    const handmade: Policy = {
      file: 'hand.policy',
      defaultEffect: 'deny',
      rules: [{ effect: 'allow', callers: ['cert=ops-*'], actions: ['status'], facts: 'role=web', classes: 'apache', line: 7, text: 'allow cert=ops-* status role=web apache' }],
    }
    expect(evaluatePolicy(handmade, 'x', call('cert=ops-a', 'status'), debianWeb, 'deny').reason).toBe('allowed by hand.policy line 7: allow cert=ops-* status role=web apache')
    expect(evaluatePolicy(handmade, 'x', call('cert=ops-a', 'status'), redhatDb, 'deny').allowed).toBe(false)
    const broken: Policy = { file: 'hand.policy', rules: [{ effect: 'allow', callers: '*', actions: '*', facts: '(a=1', classes: '*', line: 2, text: '' }] }
    expect(() => evaluatePolicy(broken, 'x', call('cert=a', 'status'), debianWeb, 'deny')).toThrow(PolicySyntaxError)
  })
})
