;; A component that imports a function (canon lower) and an interface:
;; slackfuel provides no imports to components, and says which it lacks.
(component
  (type $stdout (instance (export "print" (func (param "s" string)))))
  (import "wasi:cli/stdout@0.2.0" (instance $out (type $stdout)))
  (import "log" (func $log (param "msg" string)))
  (core module $m (func (export "f") (result i32) i32.const 1))
  (core instance $i (instantiate $m))
  (func (export "f") (result s32) (canon lift (core func $i "f")))
)
