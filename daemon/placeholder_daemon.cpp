namespace codeloc {}
