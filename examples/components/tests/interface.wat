;; Functions exported through an interface (a component instance) rather
;; than from the world itself: not supported.
(component
  (core module $m (func (export "f") (result i32) i32.const 1))
  (core instance $i (instantiate $m))
  (func $f (result s32) (canon lift (core func $i "f")))
  (instance $inst (export "f" (func $f)))
  (export "pkg:x/y" (instance $inst))
)
