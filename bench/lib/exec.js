// Running a child process (a peer tool, our CLI, npm, tar) with a time limit.
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'

/**
 * Runs `command args` and resolves (never rejects) with
 * `{ ok, code, signal, timedOut, ms, stdout, stderr, error }`; `ms` is the wall
 * time of the whole process. `ok` means exit code 0 within the time limit.
 */
export function run(command, args, { timeoutMs = 10 * 60_000, cwd, env, maxOutput = 1 << 20 } = {}) {
  return new Promise((resolve) => {
    const started = performance.now()
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const out = { stdout: '', stderr: '' }
    const collect = (key) => (chunk) => {
      if (out[key].length < maxOutput) out[key] += chunk
    }
    child.stdout.setEncoding('utf8').on('data', collect('stdout'))
    child.stderr.setEncoding('utf8').on('data', collect('stderr'))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    let spawnError
    child.on('error', (err) => {
      spawnError = err
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const ms = performance.now() - started
      resolve({
        ok: code === 0 && !timedOut && !spawnError,
        code,
        signal,
        timedOut,
        ms,
        stdout: out.stdout,
        stderr: out.stderr,
        error: spawnError?.message,
      })
    })
  })
}

/** Like `run`, but throws with the command's stderr when it does not succeed. */
export async function runOrThrow(command, args, options) {
  const result = await run(command, args, options)
  if (!result.ok) {
    const why = result.timedOut ? 'timed out' : result.error ?? `exited with ${result.code ?? result.signal}`
    throw new Error(`${command} ${args.join(' ')} ${why}\n${result.stderr.trim()}`)
  }
  return result
}

/** A one-line reason for a failed `run`, for reports. */
export function failureReason(result) {
  if (result.timedOut) return `timed out after ${Math.round(result.ms / 1000)} s`
  if (result.error) return result.error
  const lines = result.stderr.split('\n').map((l) => l.trim()).filter(Boolean)
  const message = lines.find((l) => /error|fatal|failed|invalid|unknown|not supported/i.test(l)) ?? lines.at(-1) ?? ''
  const status = result.signal ? `killed by ${result.signal}` : `exit ${result.code}`
  return message ? `${status}: ${message.slice(0, 200)}` : status
}
