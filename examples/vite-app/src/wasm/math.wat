;; Loaded with `import init from './math.wasm?init'`: JS instantiates it and
;; reads the exports (and the greeting out of linear memory) itself.
(module $math
  (memory $memory (export "memory") 1)

  ;; A greeting stored in a data segment; `greeting` / `greeting_len` tell JS
  ;; where to find it.
  (data $greeting (i32.const 64) "Hello from WebAssembly, squeezed by wasm-squeeze!")

  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $a) (local.get $b)))

  ;; fib(0) = 0, fib(1) = 1, iteratively; fits an i32 up to fib(46).
  (func $fib (export "fib") (param $n i32) (result i32)
    (local $previous i32) (local $current i32) (local $next i32)
    (local.set $current (i32.const 1))
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (block $done
      (loop $step
        (br_if $done (i32.le_u (local.get $n) (i32.const 1)))
        (local.set $next (i32.add (local.get $previous) (local.get $current)))
        (local.set $previous (local.get $current))
        (local.set $current (local.get $next))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $step)))
    (local.get $current))

  (func $greeting (export "greeting") (result i32)
    (i32.const 64))

  (func $greeting_len (export "greeting_len") (result i32)
    (i32.const 49)))
