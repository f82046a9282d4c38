;; Exports whose WIT types differ where their core types agree (u32 and
;; s32 are both i32), and one no SQL type maps to (a record).
(component
  (core module $m
    (memory (export "memory") 1)
    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 64)
    (func (export "unsigned") (param i32) (result i32) local.get 0)
    (func (export "signed") (param i32) (result i32) local.get 0)
    (func (export "flag") (param i32) (result i32) local.get 0 i32.eqz)
    (func (export "point") (param f64 f64) (result f64) local.get 0 local.get 1 f64.add))
  (core instance $i (instantiate $m))
  (type $point (record (field "x" f64) (field "y" f64)))
  (export $p "point" (type $point))
  (func (export "unsigned") (param "x" u32) (result u32) (canon lift (core func $i "unsigned")))
  (func (export "signed") (param "x" s32) (result s32) (canon lift (core func $i "signed")))
  (func (export "flag") (param "x" bool) (result bool) (canon lift (core func $i "flag")))
  (func (export "point") (param "p" $p) (result f64) (canon lift (core func $i "point")))
)
