import { describe, expect, it } from 'vitest'
import {
  FrameParser,
  OutboundMessage,
  type StompFrame,
  StompFrameError,
  encodeFrame,
  escapeHeader,
  messagePrefix,
  missingHeaderError,
  parseFrames,
  unescapeHeader,
} from '../../../src/broker/frame.js'

function collect(options: ConstructorParameters<typeof FrameParser>[1] = {}) {
  const frames: StompFrame[] = []
  const parser = new FrameParser((f) => frames.push(f), options)
  return { frames, parser }
}

function errorOf(data: string | Buffer, options: ConstructorParameters<typeof FrameParser>[1] = {}): StompFrameError {
  const { parser } = collect(options)
  try {
    parser.push(typeof data === 'string' ? Buffer.from(data) : data)
  } catch (e) {
    if (e instanceof StompFrameError) return e
    throw e
  }
  throw new Error('expected a StompFrameError')
}

const headers = (f: StompFrame | undefined) => Object.fromEntries(f?.headers ?? [])

describe('FrameParser', () => {
  it('parses a simple frame', () => {
    const [f] = parseFrames('SEND\ndestination:/topic/a\n\nhello\0')
    expect(f?.command).toBe('SEND')
    expect(headers(f)).toEqual({ destination: '/topic/a' })
    expect(f?.body.toString()).toBe('hello')
  })

  it('parses many frames in one chunk, with heart-beat EOLs between them', () => {
    const one = 'SEND\ndestination:/queue/q\n\nx\0'
    const { frames, parser } = collect()
    parser.push(Buffer.from('\n\r\n' + (one + '\n').repeat(500) + '\r\n'))
    expect(frames).toHaveLength(500)
    expect(frames.every((f) => f.body.toString() === 'x')).toBe(true)
    expect(parser.heartbeats).toBe(2 + 500 + 1)
    expect(parser.bufferedBytes).toBe(0)
  })

  it('reassembles frames split at every byte boundary', () => {
    const data = Buffer.from(
      'SEND\r\ndestination:/topic/a\r\ncontent-length:5\r\n\r\nab\0cd\0\nMESSAGE\nsubscription:1\nmessage-id:m\n\nbody\0',
    )
    for (let split = 1; split < data.length; split++) {
      const { frames, parser } = collect()
      parser.push(data.subarray(0, split))
      parser.push(data.subarray(split))
      expect(frames.map((f) => f.command)).toEqual(['SEND', 'MESSAGE'])
      expect(frames[0]?.body).toEqual(Buffer.from('ab\0cd'))
      expect(frames[1]?.body.toString()).toBe('body')
    }
  })

  it('parses a stream delivered one byte at a time', () => {
    const data = Buffer.concat([
      encodeFrame('SEND', { destination: '/topic/a', 'x-y': 'a:b\nc' }, Buffer.from([1, 0, 2])),
      Buffer.from('\n'),
      encodeFrame('SEND', { destination: '/topic/b' }),
    ])
    const { frames, parser } = collect()
    for (const byte of data) parser.push(Buffer.from([byte]))
    expect(frames).toHaveLength(2)
    expect(frames[0]?.body).toEqual(Buffer.from([1, 0, 2]))
    expect(frames[0]?.headers.get('x-y')).toBe('a:b\nc')
    expect(frames[1]?.headers.get('destination')).toBe('/topic/b')
  })

  it('keeps bodies intact after later chunks arrive (no buffer reuse)', () => {
    const { frames, parser } = collect()
    const a = Buffer.from('SEND\ndestination:/q/a\n\nfirst\0SEND\ndestination:/q/b\n\nsec')
    parser.push(a)
    parser.push(Buffer.from('ond\0SEND\ndestination:/q/c\n\nthird\0'))
    parser.push(Buffer.from('SEND\ndestination:/q/d\n\nfourth\0'))
    expect(frames.map((f) => f.body.toString())).toEqual(['first', 'second', 'third', 'fourth'])
  })

  it('handles a large body split into many chunks in linear time', () => {
    const body = Buffer.alloc(4 * 1024 * 1024, 7)
    const data = encodeFrame('SEND', { destination: '/topic/big' }, body)
    const { frames, parser } = collect()
    const started = performance.now()
    for (let i = 0; i < data.length; i += 1024) parser.push(data.subarray(i, i + 1024))
    expect(performance.now() - started).toBeLessThan(2000)
    expect(frames).toHaveLength(1)
    expect(frames[0]?.body.equals(body)).toBe(true)
  })

  it('handles a large body without content-length split into many chunks', () => {
    const data = Buffer.concat([Buffer.from('SEND\ndestination:/topic/big\n\n'), Buffer.alloc(2 * 1024 * 1024, 0x61), Buffer.from([0])])
    const { frames, parser } = collect()
    const started = performance.now()
    for (let i = 0; i < data.length; i += 512) parser.push(data.subarray(i, i + 512))
    expect(performance.now() - started).toBeLessThan(2000)
    expect(frames[0]?.body.length).toBe(2 * 1024 * 1024)
  })

  it('unescapes headers in 1.2 but not in CONNECT frames', () => {
    const [send, connect] = parseFrames('SEND\ndestination:/topic/a\nx:a\\cb\\nc\\\\d\\re\n\n\0CONNECT\nlogin:a\\cb\n\n\0')
    expect(send?.headers.get('x')).toBe('a:b\nc\\d\re')
    expect(connect?.headers.get('login')).toBe('a\\cb')
  })

  it('leaves 1.0 headers alone', () => {
    const [f] = parseFrames('SEND\ndestination:/topic/a\nx:a\\qb\n\n\0', { escape: 'none' })
    expect(f?.headers.get('x')).toBe('a\\qb')
  })

  it('keeps the first of repeated headers and everything after the first colon', () => {
    const [f] = parseFrames('SEND\ndestination:/topic/a\nfoo:1\nfoo:2\nurl:http://x\n\n\0')
    expect(f?.headers.get('foo')).toBe('1')
    expect(f?.headers.get('url')).toBe('http://x')
  })

  it('accepts CRLF line endings', () => {
    const [f] = parseFrames('SUBSCRIBE\r\nid:0\r\ndestination:/queue/a\r\n\r\n\0')
    expect(headers(f)).toEqual({ id: '0', destination: '/queue/a' })
  })

  it('reads bodies with NUL bytes when content-length is given', () => {
    const body = Buffer.from([0, 1, 0, 0, 255, 0])
    const [f] = parseFrames(Buffer.concat([Buffer.from(`SEND\ndestination:/topic/a\ncontent-length:${body.length}\n\n`), body, Buffer.from([0])]))
    expect(f?.body).toEqual(body)
  })

  describe('malformed input', () => {
    it('unknown command', () => {
      expect(errorOf('FOO\n\n\0').message).toBe("unknown command 'FOO'")
    })

    it('header line without a colon, with the receipt seen so far', () => {
      const e = errorOf('SEND\nreceipt:r1\ndestination /topic/a\n\n\0')
      expect(e.message).toBe("malformed header line in SEND frame: no ':' in 'destination /topic/a'")
      expect(e.receiptId).toBe('r1')
    })

    it('empty header name', () => {
      expect(errorOf('SEND\n:x\n\n\0').message).toContain('empty header name')
    })

    it('invalid escape sequence', () => {
      expect(errorOf('SEND\nfoo:a\\tb\n\n\0').message).toBe("invalid escape sequence '\\t' in header 'foo' of SEND frame")
    })

    it('content-length not a number', () => {
      const e = errorOf('SEND\nreceipt:r2\ncontent-length:12a\n\nbody\0')
      expect(e.message).toBe("invalid content-length header in SEND frame: '12a' is not a number")
      expect(e.receiptId).toBe('r2')
    })

    it('missing NUL after a content-length body', () => {
      const e = errorOf('SEND\ncontent-length:3\nreceipt:r3\n\nabcd\0')
      expect(e.message).toBe('malformed SEND frame: body of content-length 3 is not followed by a NUL byte')
      expect(e.receiptId).toBe('r3')
    })

    it('frame over the maximum size, by content-length', () => {
      const e = errorOf('SEND\ncontent-length:2000\n\n', { maxFrameBytes: 1024 })
      expect(e.message).toBe('frame too large: content-length 2000 exceeds the maximum frame size of 1024 bytes')
    })

    it('frame over the maximum size, without content-length', () => {
      const { parser } = collect({ maxFrameBytes: 1024 })
      parser.push(Buffer.from('SEND\ndestination:/topic/a\n\n'))
      expect(() => parser.push(Buffer.alloc(1100, 0x61))).toThrow('frame too large: more than 1024 bytes')
    })

    it('a frame exactly at the maximum size is accepted', () => {
      const head = 'SEND\n\n'
      const frames = parseFrames(head + 'a'.repeat(1024 - head.length) + '\0', { maxFrameBytes: 1024 })
      expect(frames).toHaveLength(1)
      expect(() => parseFrames(head + 'a'.repeat(1025 - head.length) + '\0', { maxFrameBytes: 1024 })).toThrow('frame too large')
    })

    it('too many headers', () => {
      const lines = Array.from({ length: 101 }, (_, i) => `h${i}:v`).join('\n')
      expect(errorOf(`SEND\n${lines}\n\n\0`).message).toBe('too many headers in SEND frame: more than 100')
      expect(parseFrames(`SEND\n${lines.split('\n').slice(0, 100).join('\n')}\n\n\0`)).toHaveLength(1)
    })

    it('header line too long, even before its end arrives', () => {
      expect(errorOf(`SEND\nx:${'a'.repeat(200)}`, { maxHeaderLineBytes: 100 }).message).toBe(
        'header line too long in SEND frame: more than 100 bytes',
      )
      expect(errorOf(`SEND\nx:${'a'.repeat(200)}\n\n\0`, { maxHeaderLineBytes: 100 }).message).toContain('header line too long')
    })

    it('carriage return without line feed between frames', () => {
      expect(errorOf('\rSEND\n\n\0').message).toContain('carriage return')
    })

    it('stays failed after an error', () => {
      const { parser } = collect()
      expect(() => parser.push(Buffer.from('BAD\n\n\0'))).toThrow(StompFrameError)
      expect(() => parser.push(Buffer.from('SEND\n\n\0'))).toThrow("unknown command 'BAD'")
    })

    it('emits the frames before the bad one', () => {
      const { frames, parser } = collect()
      expect(() => parser.push(Buffer.from('SEND\ndestination:/topic/a\n\n\0NOPE\n\n\0'))).toThrow(StompFrameError)
      expect(frames).toHaveLength(1)
    })
  })

  describe('required headers', () => {
    const frame = (command: string, h: Record<string, string>): StompFrame => ({ command, headers: new Map(Object.entries(h)), body: Buffer.alloc(0) })

    it('names the missing header', () => {
      expect(missingHeaderError(frame('SEND', {}), '1.2')).toBe("SEND frame is missing the required 'destination' header")
      expect(missingHeaderError(frame('SUBSCRIBE', { destination: '/topic/a' }), '1.2')).toBe("SUBSCRIBE frame is missing the required 'id' header")
      expect(missingHeaderError(frame('SUBSCRIBE', { destination: '/topic/a' }), '1.0')).toBeUndefined()
      expect(missingHeaderError(frame('ACK', {}), '1.2')).toBe("ACK frame is missing the required 'id' header")
      expect(missingHeaderError(frame('ACK', {}), '1.1')).toBe("ACK frame is missing the required 'message-id' header")
      expect(missingHeaderError(frame('BEGIN', {}), '1.2')).toBe("BEGIN frame is missing the required 'transaction' header")
      expect(missingHeaderError(frame('UNSUBSCRIBE', { destination: '/queue/a' }), '1.0')).toBeUndefined()
      expect(missingHeaderError(frame('DISCONNECT', {}), '1.2')).toBeUndefined()
    })
  })
})

describe('serializer', () => {
  it('escapes per version', () => {
    expect(escapeHeader('a:b\nc\\d\re', '1.2')).toBe('a\\cb\\nc\\\\d\\re')
    expect(escapeHeader('a:b\nc\\d\re', '1.1')).toBe('a\\cb\\nc\\\\d\re')
    expect(escapeHeader('a:b', 'none')).toBe('a:b')
    expect(unescapeHeader(escapeHeader('x\\:\n\r:', '1.2'), '1.2', 'test')).toBe('x\\:\n\r:')
  })

  it('round-trips headers, escaping and bodies', () => {
    const h: Array<[string, string]> = [
      ['destination', '/topic/a.b'],
      ['weird:name', 'va\\lue\nwith:colons\r'],
      ['unicode', 'héllo ✓'],
    ]
    const body = Buffer.from([0, 10, 13, 0, 58])
    const [f] = parseFrames(encodeFrame('SEND', h, body))
    expect([...(f?.headers ?? [])]).toEqual([...h, ['content-length', '5']])
    expect(f?.body).toEqual(body)
  })

  it('does not escape CONNECT and CONNECTED', () => {
    expect(encodeFrame('CONNECTED', { session: 'a:b' }).toString()).toBe('CONNECTED\nsession:a:b\n\n\0')
    const [f] = parseFrames(encodeFrame('CONNECT', { login: 'a:b\\c' }))
    expect(f?.headers.get('login')).toBe('a:b\\c')
  })

  it('encodes MESSAGE from a shared block and a per-subscription prefix', () => {
    const m = new OutboundMessage('s1-1', '/topic/a', [['reply-to', '/queue/x'], ['k', 'v:w']], Buffer.from('body\0!'))
    const frame12 = Buffer.concat([messagePrefix('sub-1', '1.2'), Buffer.from('ack:7\n'), m.block('1.2')])
    const [f] = parseFrames(frame12)
    expect(f?.command).toBe('MESSAGE')
    expect(Object.fromEntries(f?.headers ?? [])).toEqual({
      subscription: 'sub-1',
      ack: '7',
      destination: '/topic/a',
      'message-id': 's1-1',
      'reply-to': '/queue/x',
      k: 'v:w',
      'content-length': '6',
    })
    expect(f?.body.toString()).toBe('body\0!')
    const [f10] = parseFrames(Buffer.concat([messagePrefix('sub-1', 'none'), m.block('none')]), { escape: 'none' })
    expect(f10?.headers.get('k')).toBe('v:w')
    expect(m.block('1.2')).toBe(m.block('1.2'))
  })
})
