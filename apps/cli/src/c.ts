console.log("c")
