"""Extensions: packages of controllers that register tasks when their modules are installed."""
