"""codeloc example location: order analytics."""
