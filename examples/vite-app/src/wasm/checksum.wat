;; Loaded with `import { memory, adler32 } from './checksum.wasm'` (ESM
;; integration). Its import module "./host.js" is resolved as a JS module,
;; relative to this file, exactly like a JS `import`.
(module $checksum
  (import "./host.js" "trace" (func $trace (param $checksum i32)))

  (memory $memory (export "memory") 1)

  ;; Adler-32 (RFC 1950) of memory[ptr .. ptr + len); reports the result to the host.
  (func $adler32 (export "adler32") (param $ptr i32) (param $len i32) (result i32)
    (local $a i32) (local $b i32) (local $end i32) (local $result i32)
    (local.set $a (i32.const 1))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $a (i32.rem_u
          (i32.add (local.get $a) (i32.load8_u (local.get $ptr)))
          (i32.const 65521)))
        (local.set $b (i32.rem_u
          (i32.add (local.get $b) (local.get $a))
          (i32.const 65521)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $byte)))
    (local.set $result (i32.or (i32.shl (local.get $b) (i32.const 16)) (local.get $a)))
    (call $trace (local.get $result))
    (local.get $result)))
