; an LRU eviction loop: while (<count> ... <limit>) { ... for (... : <lru>) { ... } ... <remove>(<victim>); }
(while_statement
  condition: (condition_clause) @condition
  body: (compound_statement
    (for_range_loop right: (identifier) @lru)
    (expression_statement
      (call_expression
        function: (identifier) @remove
        arguments: (argument_list . (identifier) @victim .))) @call)) @loop
