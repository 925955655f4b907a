"""codeloc example location: weekly reporting."""
