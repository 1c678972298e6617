from district_portal import create_app, settle_heap

app = create_app()
settle_heap()  # a serving process: start-up objects stay out of the collector's walks
