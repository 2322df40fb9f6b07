#!/usr/bin/env node
import { main } from '../dist/bundle/mcshd.js'

process.exitCode = await main(process.argv.slice(2))
