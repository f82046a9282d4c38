;; Exports whose WIT types differ where their core types agree (u32 and
;; s32 are both i32), one no SQL type maps to (a record), and lists and
;; options: all options (a function that is not STRICT) and some (none).
(component
  (core module $m
    (memory (export "memory") 1)
    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
    (func (export "unsigned") (param i32) (result i32) local.get 0)
    (func (export "signed") (param i32) (result i32) local.get 0)
    (func (export "flag") (param i32) (result i32) local.get 0 i32.eqz)
    (func (export "point") (param f64 f64) (result f64) local.get 0 local.get 1 f64.add)
    (func (export "total") (param $p i32) (param $n i32) (result i64)
      (local $s i64)
      block $done
        loop $next
          local.get $n i32.eqz br_if $done
          local.get $s local.get $p i64.load32_s i64.add local.set $s
          local.get $p i32.const 4 i32.add local.set $p
          local.get $n i32.const 1 i32.sub local.set $n
          br $next
        end
      end
      local.get $s)
    (func (export "maybe") (param $some i32) (param $v i32) (result i32)
      i32.const 16 local.get $some i32.store8
      i32.const 20 local.get $v i32.const 1 i32.add i32.store
      i32.const 16)
    (func (export "mixed") (param i32 i32 i32) (result i32) local.get 2))
  (core instance $i (instantiate $m))
  (alias core export $i "memory" (core memory $mem))
  (alias core export $i "cabi_realloc" (core func $realloc))
  (type $point (record (field "x" f64) (field "y" f64)))
  (export $p "point" (type $point))
  (func (export "unsigned") (param "x" u32) (result u32) (canon lift (core func $i "unsigned")))
  (func (export "signed") (param "x" s32) (result s32) (canon lift (core func $i "signed")))
  (func (export "flag") (param "x" bool) (result bool) (canon lift (core func $i "flag")))
  (func (export "point") (param "p" $p) (result f64) (canon lift (core func $i "point")))
  (func (export "total") (param "xs" (list s32)) (result s64)
    (canon lift (core func $i "total") (memory $mem) (realloc $realloc)))
  (func (export "maybe") (param "x" (option s32)) (result (option s32))
    (canon lift (core func $i "maybe") (memory $mem) (realloc $realloc)))
  (func (export "mixed") (param "x" (option s32)) (param "y" s32) (result s32)
    (canon lift (core func $i "mixed") (memory $mem) (realloc $realloc)))
)
